using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace FaceWatch.Web;

/// <summary>
/// An HTML file embedded in this assembly (<c>Page/*.html</c>) with <c>{{name}}</c> holes, split once at load.
/// <see cref="Render"/> fills every hole in one pass, so nothing substituted is searched for holes again: text is
/// HTML-escaped, markup (what another template rendered) goes in as it is.
/// </summary>
internal sealed partial class HtmlTemplate
{
    private readonly string _resource;
    private readonly string[] _literals;
    private readonly string[] _holes;

    private HtmlTemplate(string resource, string[] literals, string[] holes)
    {
        _resource = resource;
        _literals = literals;
        _holes = holes;
    }

    /// <summary>Reads the embedded file and checks it has exactly the holes the code fills.</summary>
    public static HtmlTemplate Load(string resource, params string[] holes)
    {
        using var stream = typeof(HtmlTemplate).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded page resource '{resource}' is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = reader.ReadToEnd();
        // The file ends with a newline (.editorconfig); the markup it holds does not.
        if (text.EndsWith('\n'))
        {
            text = text[..^1];
        }

        var parts = Hole().Split(text); // literal, hole, literal, ..., literal
        var template = new HtmlTemplate(resource, parts.Where((_, i) => i % 2 == 0).ToArray(), parts.Where((_, i) => i % 2 == 1).ToArray());
        if (!template._holes.ToHashSet(StringComparer.Ordinal).SetEquals(holes))
        {
            throw new InvalidOperationException(
                $"Page resource '{resource}' has holes [{string.Join(", ", template._holes.Distinct())}], the code fills [{string.Join(", ", holes)}].");
        }

        return template;
    }

    /// <summary>Appends the page: each hole from <paramref name="text"/> (HTML-escaped) or <paramref name="markup"/> (as it is).</summary>
    public void Render(StringBuilder output, IReadOnlyDictionary<string, string>? text, IReadOnlyDictionary<string, string>? markup = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        for (var i = 0; i < _holes.Length; i++)
        {
            output.Append(_literals[i]);
            if (markup is not null && markup.TryGetValue(_holes[i], out var html))
            {
                output.Append(html);
            }
            else if (text is not null && text.TryGetValue(_holes[i], out var value))
            {
                output.Append(WebUtility.HtmlEncode(value));
            }
            else
            {
                throw new InvalidOperationException($"No value for {{{{{_holes[i]}}}}} in page resource '{_resource}'.");
            }
        }

        output.Append(_literals[^1]);
    }

    [GeneratedRegex(@"\{\{([a-z][A-Za-z]*)\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Hole();
}
