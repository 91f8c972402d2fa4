using System.Text.Json.Nodes;
using SgdDynamics.Backends.Managed;
using SgdDynamics.Validation;

namespace SgdDynamics.Tests.Validation;

public class ValidationCatalogTests
{
    [Theory]
    [InlineData(Expectation.Agree, 1.0, 1.2, 0.1, true)]
    [InlineData(Expectation.Agree, 1.0, 1.6, 0.1, false)]
    [InlineData(Expectation.Reject, 1.0, 1.6, 0.1, true)]
    [InlineData(Expectation.Reject, 1.0, 1.2, 0.1, false)]
    [InlineData(Expectation.AtMost, 1.0, 0.9, 0.1, true)]
    [InlineData(Expectation.AtMost, 1.0, 1.1, 0.1, false)]
    [InlineData(Expectation.AtLeast, 1.0, 1.1, 0.1, true)]
    [InlineData(Expectation.AtLeast, 1.0, 0.9, 0.1, false)]
    public void CheckVerdictFollowsItsExpectation(Expectation expectation, double prediction, double measured, double se, bool pass)
    {
        var check = new Check("q", prediction, measured, se, expectation, Check.DefaultZ, "basis");
        Assert.Equal(pass, check.Pass);
        Assert.Equal(expectation is Expectation.Agree or Expectation.Reject, !double.IsNaN(check.Z));
    }

    /// <summary>
    /// The quick catalog passes on the managed backend with its fixed seeds (each check's tolerance is stated in
    /// the case: |z| ≤ 5, or a bound derived from the Monte-Carlo floor), and writes both reports and the plots.
    /// </summary>
    [Fact]
    public void QuickCatalogPassesAndWritesTheReport()
    {
        string folder = Path.Combine(Path.GetTempPath(), "sgdyn-validate-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var backend = new ManagedBackend();
            var context = new ValidationContext(backend, ValidationMode.Quick, folder);
            var reports = ValidationReport.Run(context, Catalog.All());
            ValidationReport.Write(context, reports);

            foreach (CaseReport report in reports)
            {
                Assert.True(report.Pass, string.Join("; ", report.Checks.Where(c => !c.Pass).Select(c => $"{report.Name}: {c.Quantity} measured {c.Measured} vs {c.Prediction} (z {c.ZText})")));
                Assert.NotEmpty(report.Checks);
                Assert.All(report.Plots, plot => Assert.True(new FileInfo(Path.Combine(folder, plot)).Length > 1000, plot));
            }

            string markdown = File.ReadAllText(Path.Combine(folder, ValidationReport.MarkdownFile));
            Assert.Contains("| case | quantity | prediction | measured ± SE | z | tolerance | verdict |", markdown);
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, ValidationReport.JsonFile)))!;
            Assert.True(json["pass"]!.GetValue<bool>());
            Assert.Equal(reports.Count, json["cases"]!.AsArray().Count);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
