namespace FaceWatch.Pipeline.Identification;

/// <summary>
/// What a person's name may be: it is printed, published in events and shown in the web view, so it must be a
/// visible, single-line name and not look like a path. <c>unknown</c> is what strangers are called, <c>ignored</c> what ignored strangers are called.
/// </summary>
public static class PersonName
{
    public const int MaxLength = 100;

    /// <summary>Null when <paramref name="name"/> is a valid person name; else what is wrong with it.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"is longer than {MaxLength} characters";
        }

        if (name.Trim().Length != name.Length)
        {
            return "starts or ends with white space";
        }

        if (name.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069')))
        {
            return "contains control characters";
        }

        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name is "." or "..")
        {
            return "looks like a path (no '/', '\\', '.' or '..')";
        }

        return string.Equals(name, IdentityMatch.Unknown, StringComparison.OrdinalIgnoreCase)
            ? $"is reserved: '{IdentityMatch.Unknown}' is what strangers are called"
            : string.Equals(name, IdentityMatch.Ignored, StringComparison.OrdinalIgnoreCase)
                ? $"is reserved: '{IdentityMatch.Ignored}' is what ignored strangers are called"
                : null;
    }

    /// <exception cref="InvalidDataException"><paramref name="name"/> is not a valid person name.</exception>
    public static void ThrowIfInvalid(string? name)
    {
        if (Problem(name) is { } problem)
        {
            throw new InvalidDataException($"Person name '{Escape(name)}' {problem}.");
        }
    }

    /// <summary>Control characters as <c>\xNN</c> / <c>\uNNNN</c>, so a name can be printed on one line as it is.</summary>
    public static string Escape(string? text) => FaceWatch.Core.Text.TextEscape.Escape(text);
}
