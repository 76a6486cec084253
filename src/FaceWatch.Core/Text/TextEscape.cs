using System.Globalization;
using System.Text;

namespace FaceWatch.Core.Text;

/// <summary>
/// Makes untrusted text (person names, file names, anything a user or a file system chose) safe to print on one line:
/// control characters (C0, DEL, C1), line and paragraph separators and bidirectional overrides become visible
/// escapes (<c>\n</c>, <c>\x1b</c>, <c>\u202e</c>); in text that needs escaping a backslash becomes <c>\\</c>.
/// Text without any of these is returned as it is (so plain names and Windows paths print unchanged).
/// </summary>
public static class TextEscape
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        if (!text.Any(NeedsEscape))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    sb.Append(@"\\");
                    break;
                case '\n':
                    sb.Append(@"\n");
                    break;
                case '\r':
                    sb.Append(@"\r");
                    break;
                case '\t':
                    sb.Append(@"\t");
                    break;
                default:
                    if (NeedsEscape(c))
                    {
                        sb.Append(c <= '\xFF' ? string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}") : string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    private static bool NeedsEscape(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
