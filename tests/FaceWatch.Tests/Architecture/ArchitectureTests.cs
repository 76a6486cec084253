using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace FaceWatch.Tests.Architecture;

/// <summary>The folder and project graph follows <see cref="ArchitectureRules"/>: imports point one way, down the pipeline.</summary>
[Trait("Category", "Slow")]
public sealed partial class ArchitectureTests(ITestOutputHelper output)
{
    private static readonly Lazy<DependencyGraph> Graph = new(DependencyGraph.Load);

    [Fact]
    public void Every_dependency_between_rooms_points_down()
    {
        var order = ArchitectureRules.Order();
        var violations = Graph.Value.Edges
            .SelectMany(e => e.Value.Select(u => (From: e.Key, To: u.Key, Example: u.Value)))
            .Select(e => (e.Example, Why: ArchitectureRules.Violation(e.From, e.To, order)))
            .Where(v => v.Why is not null)
            .Select(v => $"{v.Why} ({v.Example})")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void The_reader_sees_the_edges_it_checks()
    {
        // The scan itself works: dependencies known to exist are found, through signatures and through method bodies.
        var edges = Graph.Value.Edges;
        foreach (var room in ArchitectureRules.Order().Where(edges.ContainsKey))
        {
            output.WriteLine($"{room} -> {string.Join(", ", ArchitectureRules.Order().Where(edges[room].ContainsKey))}");
        }

        Assert.Contains("Pipeline.Capture", edges["Pipeline.Detection"].Keys);
        Assert.Contains("Pipeline.Detection", edges["Pipeline.Tracking"].Keys);
        Assert.Contains("Pipeline.Workers", edges["Hosting"].Keys);
        Assert.Contains("Core.Models", edges["Pipeline.Embedding"].Keys);
    }

    [Fact]
    public void A_dependency_up_the_pipeline_is_a_violation()
    {
        var order = ArchitectureRules.Order();
        Assert.NotNull(ArchitectureRules.Violation("Pipeline.Capture", "Pipeline.Identity", order));
        Assert.NotNull(ArchitectureRules.Violation("Pipeline.Embedding", "Pipeline.Identification", order));
        Assert.NotNull(ArchitectureRules.Violation("Core.Health", "Pipeline.Capture", order));
        Assert.NotNull(ArchitectureRules.Violation("Web", "Hosting", order));
        Assert.NotNull(ArchitectureRules.Violation("Core.Models", "ModelConversion", order));
        Assert.Null(ArchitectureRules.Violation("Pipeline.Identity", "Pipeline.Tracking", order));
        Assert.Null(ArchitectureRules.Violation("Hosting.Models", "ModelConversion", order));
    }

    [Fact]
    public void The_stage_library_and_the_core_hold_no_hosted_service_web_broker_or_converter()
    {
        var low = ArchitectureRules.CoreRooms.Concat(ArchitectureRules.StageRooms()).ToHashSet(StringComparer.Ordinal);
        var hits = Graph.Value.External
            .Where(e => low.Contains(e.Key))
            .SelectMany(e => e.Value.Where(t => ArchitectureRules.ForbiddenBelowHosting.Any(f => t.StartsWith(f, StringComparison.Ordinal))).Select(t => $"{e.Key} uses {t}"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(hits.Count == 0, string.Join(Environment.NewLine, hits));
    }

    [Fact]
    public void Stage_folders_are_numbered_in_order_and_each_file_is_in_its_folders_namespace()
    {
        var root = Path.Combine(TestPaths.RepoRoot, "src", "FaceWatch.Pipeline");
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(f => f is not ("bin" or "obj")).Order(StringComparer.Ordinal).ToList();
        Assert.All(folders, f => Assert.True(ArchitectureRules.IsStageFolder(f), $"src/FaceWatch.Pipeline/{f} is not a numbered stage folder (NN-Name)"));
        Assert.Equal(Enumerable.Range(1, folders.Count).Select(i => i.ToString("00", System.Globalization.CultureInfo.InvariantCulture)), folders.Select(f => f[..2]));
        Assert.Empty(Directory.GetFiles(root, "*.cs"));

        var wrong = new List<string>();
        foreach (var folder in folders)
        {
            var expected = "FaceWatch.Pipeline." + folder[3..];
            foreach (var file in Directory.GetFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                var ns = NamespaceLine().Match(File.ReadAllText(file)).Groups[1].Value;
                if (ns != expected)
                {
                    wrong.Add($"{Path.GetRelativePath(TestPaths.RepoRoot, file)}: namespace {ns}, expected {expected}");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();
}
