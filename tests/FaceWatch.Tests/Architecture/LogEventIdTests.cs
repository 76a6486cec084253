using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace FaceWatch.Tests.Architecture;

/// <summary>
/// Every <c>[LoggerMessage]</c> id is unique across the FaceWatch assemblies and lies in the range its namespace owns;
/// the ranges are the table in <c>docs/logging.md</c> (written once, read here).
/// </summary>
public sealed partial class LogEventIdTests
{
    // The executable is the assembly "facewatch".
    private static readonly string[] AssemblyNames =
    [
        "facewatch", "FaceWatch.Core", "FaceWatch.Pipeline", "FaceWatch.Hosting", "FaceWatch.Web", "FaceWatch.ModelConversion",
    ];

    [Fact]
    public void The_range_table_is_readable_and_ranges_do_not_overlap()
    {
        var ranges = ReadRanges();

        Assert.True(ranges.Count >= 10, $"docs/logging.md: only {ranges.Count} range rows read");
        var overlaps = ranges
            .SelectMany((a, i) => ranges.Skip(i + 1).Where(b => a.First <= b.Last && b.First <= a.Last).Select(b => $"{a} overlaps {b}"))
            .ToList();
        Assert.True(overlaps.Count == 0, string.Join("\n", overlaps));
    }

    [Fact]
    public void Every_logger_message_method_is_found()
    {
        var messages = LoggerMessages();

        // Capture, workers, hosting, the executable, model sessions and fetching, detection, MQTT, windows, web.
        Assert.True(messages.Count >= 60, $"only {messages.Count} [LoggerMessage] methods found");
        Assert.Contains(messages, m => m.Namespace == "FaceWatch.Pipeline.Capture");
        Assert.Contains(messages, m => m.Namespace == "FaceWatch.Hosting.Mqtt");
    }

    [Fact]
    public void Event_ids_are_unique_across_all_assemblies()
    {
        var duplicates = LoggerMessages()
            .GroupBy(m => m.Id)
            .Where(g => g.Count() > 1)
            .Select(g => $"event id {g.Key} is used by {string.Join(", ", g.Select(m => m.Name))}")
            .ToList();

        Assert.True(duplicates.Count == 0, string.Join("\n", duplicates));
    }

    [Fact]
    public void Event_ids_lie_in_the_range_of_their_area()
    {
        var ranges = ReadRanges();
        var wrong = new List<string>();
        foreach (var message in LoggerMessages())
        {
            var owners = ranges
                .Where(r => message.Namespace == r.Namespace || message.Namespace.StartsWith(r.Namespace + ".", StringComparison.Ordinal))
                .ToList();
            if (owners.Count == 0)
            {
                wrong.Add($"{message.Name} (id {message.Id}): no row for namespace {message.Namespace} in docs/logging.md");
                continue;
            }

            var longest = owners.Max(r => r.Namespace.Length);
            var own = owners.Where(r => r.Namespace.Length == longest).ToList();
            if (!own.Any(r => r.Contains(message.Id)))
            {
                wrong.Add($"{message.Name}: id {message.Id} is outside {string.Join(" and ", own.Select(r => $"{r.First}-{r.Last}"))} ({own[0].Area})");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    private static List<LoggerMessageMethod> LoggerMessages()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        var found = new List<LoggerMessageMethod>();
        foreach (var assembly in AssemblyNames.Select(n => Assembly.Load(new AssemblyName(n))))
        {
            foreach (var type in assembly.GetTypes())
            {
                foreach (var method in type.GetMethods(all))
                {
                    if (method.GetCustomAttribute<LoggerMessageAttribute>() is not { } attribute)
                    {
                        continue;
                    }

                    var name = $"{type.FullName}.{method.Name}";
                    Assert.True(attribute.EventId > 0, $"{name} has no event id");
                    found.Add(new LoggerMessageMethod(name, type.Namespace ?? "", attribute.EventId));
                }
            }
        }

        return found;
    }

    private static List<IdRange> ReadRanges()
    {
        var path = Path.Combine(TestPaths.RepoRoot, "docs", "logging.md");
        return File.ReadLines(path)
            .Select(line => RangeRow().Match(line))
            .Where(m => m.Success)
            .Select(m => new IdRange(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[3].Value.Trim(), m.Groups[4].Value))
            .ToList();
    }

    // | 100-199 | capture: ... | `FaceWatch.Pipeline.Capture` |
    [GeneratedRegex(@"^\|\s*(\d+)-(\d+)\s*\|([^|]+)\|\s*`([A-Za-z.]+)`\s*\|\s*$")]
    private static partial Regex RangeRow();

    private sealed record LoggerMessageMethod(string Name, string Namespace, int Id);

    private sealed record IdRange(int First, int Last, string Area, string Namespace)
    {
        public bool Contains(int id) => id >= First && id <= Last;

        public override string ToString() => $"{First}-{Last} {Namespace}";
    }
}
