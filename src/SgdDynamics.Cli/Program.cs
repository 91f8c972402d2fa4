using System.CommandLine;
using SgdDynamics.Cli;
using Spectre.Console;

// Redirected output (logs, CI, files) keeps whole table rows instead of wrapping them at 80 columns.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 200;
}

var root = new RootCommand("sgdyn: stochastic dynamics of discrete SGD — ensembles, exact moment theory and benchmarks");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(TheoryCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ValidateCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(MergeCommand.Create());
root.Subcommands.Add(ExperimentCommand.Create());
ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // An unknown option, a value that does not parse or a rejected value: bad input, one line, no help text.
    return CliRunner.Fail(ExitCodes.BadInput, string.Join("; ", parsed.Errors.Select(e => System.Text.RegularExpressions.Regex.Replace(e.Message, @"\s+", " ").Trim()).Distinct()));
}

return parsed.Invoke();
