using System.CommandLine;
using System.Diagnostics;
using SgdDynamics.Backends;
using SgdDynamics.Validation;
using Spectre.Console;

namespace SgdDynamics.Cli;

/// <summary>
/// <c>sgdyn validate [--quick|--full] [--backend B] [--out DIR] [--case NAME]…</c>: runs the validation catalog (engine vs
/// theory), writes report.md, report.json and PNG plots, and exits non-zero when a case fails.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Small ensembles (the default): under two minutes on two cores" };
        var full = new Option<bool>("--full") { Description = "Large ensembles: tighter error bars, under twenty minutes on two cores" };
        var backend = RunCommand.BackendOption();
        var output = RunCommand.OutOption("Report folder (default: runs/validation)");
        var threads = RunCommand.ThreadsOption();
        var only = new Option<string[]>("--case") { Description = "Run only these cases (repeatable; default: the whole catalog)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("validate", "Run the validation catalog: discrete SGD against the exact theory and the Langevin picture, with error bars")
        {
            quick, full, backend, output, threads, only,
        };
        command.SetAction(parse => CliRunner.Guard(() =>
        {
            if (parse.GetValue(quick) && parse.GetValue(full))
            {
                throw new CliInputException("--quick and --full exclude each other");
            }

            var all = Catalog.All();
            string[] names = parse.GetValue(only) ?? [];
            string? unknown = names.FirstOrDefault(n => all.All(c => c.Name != n));
            if (unknown is not null)
            {
                throw new CliInputException($"--case: no case named '{unknown}'; the catalog has {string.Join(", ", all.Select(c => c.Name))}");
            }

            var cases = names.Length == 0 ? all : all.Where(c => names.Contains(c.Name)).ToList();
            var mode = parse.GetValue(full) ? ValidationMode.Full : ValidationMode.Quick;
            string directory = parse.GetValue(output)?.FullName ?? Path.Combine("runs", "validation");
            using IEnsembleBackend engine = BackendFactory.Open(parse.GetValue(backend)!, parse.GetValue(threads));
            return OutputFolder.Run(directory, "sgdyn validate", estimate: null, () =>
            {
                var context = new ValidationContext(engine, mode, directory);
                var clock = Stopwatch.StartNew();
                var reports = ValidationReport.Run(context, cases, c => Console.Error.WriteLine($"validate: {c.Name} ({clock.Elapsed.TotalSeconds:F0} s)"));
                ValidationReport.Write(context, reports);
                Print(reports, directory, clock.Elapsed.TotalSeconds);
                return reports.All(r => r.Pass) ? ExitCodes.Ok : ExitCodes.ValidationFailed;
            });
        }));
        return command;
    }

    private static void Print(IReadOnlyList<CaseReport> reports, string directory, double seconds)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]validation[/]");
        foreach (string column in new[] { "case", "quantity", "prediction", "measured ± SE", "z", "tolerance", "verdict" })
        {
            table.AddColumn(column);
        }

        foreach (CaseReport report in reports)
        {
            foreach (Check check in report.Checks)
            {
                table.AddRow(
                    Markup.Escape(report.Name), Markup.Escape(check.Quantity), $"{check.Prediction:G6}", $"{check.Measured:G6} ± {check.StandardError:G2}",
                    $"{check.ZText}", Markup.Escape(check.ToleranceText), check.Pass ? "[green]pass[/]" : "[red]FAIL[/]");
            }
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{reports.Count(r => r.Pass)} of {reports.Count} cases pass in {seconds:F0} s; report: {Markup.Escape(Path.Combine(directory, ValidationReport.MarkdownFile))}");
    }
}
