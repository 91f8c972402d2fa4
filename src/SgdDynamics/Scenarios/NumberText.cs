using System.Globalization;

namespace SgdDynamics.Scenarios;

/// <summary>Text of finite doubles for scenario files and messages: shortest round-trip digits, JSON syntax, exponent as <c>1e-5</c>.</summary>
internal static class NumberText
{
    /// <summary>Shortest text that parses back to exactly <paramref name="value"/>, e.g. <c>0.1</c>, <c>1e-5</c>, <c>2.5e20</c>.</summary>
    public static string Format(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "only finite numbers have a JSON form");
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture);
        int e = text.IndexOf('E', StringComparison.Ordinal);
        if (e < 0)
        {
            return text;
        }

        int exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return $"{text[..e]}e{exponent.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary><paramref name="value"/> rounded to <paramref name="digits"/> significant digits, formatted as by <see cref="Format(double)"/>.</summary>
    public static string Format(double value, int digits) =>
        Format(double.Parse(value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
}
