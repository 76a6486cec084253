using System.Globalization;
using System.Text;

namespace FaceWatch.Core.Health;

/// <summary>Makes text from outside (topics, client ids, paths, names) safe to put in one log line.</summary>
public static class LogText
{
    /// <summary>Control characters become <c>\uXXXX</c> (so a value cannot forge a second line); at most <paramref name="max"/> characters.</summary>
    public static string Printable(string? text, int max = 200)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var clipped = text.Length > max ? text[..max] : text;
        if (!clipped.Any(char.IsControl) && clipped.Length == text.Length)
        {
            return text;
        }

        var sb = new StringBuilder(clipped.Length + 8);
        foreach (var c in clipped)
        {
            if (char.IsControl(c))
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return text.Length > max ? sb.Append("...").ToString() : sb.ToString();
    }
}
