using System.Reflection;

namespace FaceWatch.Tests.Architecture;

/// <summary>
/// Stages stay small: a class in the core or the stage library over 300 lines or taking more than 5 constructor
/// dependencies says why, in a <c>// Size:</c> comment beside it (the reason is the review, the test only asks for it).
/// </summary>
public sealed class ClassSizeTests
{
    private const int MaxLines = 300;
    private const int MaxDependencies = 5;
    private const string Reason = "// Size:";

    [Fact]
    public void Large_classes_and_many_dependencies_come_with_a_written_reason()
    {
        var missing = new List<string>();
        foreach (var project in new[] { "FaceWatch.Core", "FaceWatch.Pipeline" })
        {
            var root = Path.Combine(TestPaths.RepoRoot, "src", project);
            var files = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .ToList();
            foreach (var file in files)
            {
                var lines = File.ReadAllLines(file);
                if (lines.Length > MaxLines && !lines.Any(l => l.TrimStart().StartsWith(Reason, StringComparison.Ordinal)))
                {
                    missing.Add($"{Path.GetRelativePath(TestPaths.RepoRoot, file)}: {lines.Length} lines and no '{Reason}' reason");
                }
            }

            var assembly = Assembly.Load(project);
            foreach (var type in assembly.GetTypes().Where(t => t.IsClass && !t.IsNested && !IsRecord(t) && t.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is null))
            {
                var most = type.GetConstructors().Select(c => c.GetParameters().Length).DefaultIfEmpty(0).Max();
                if (most <= MaxDependencies)
                {
                    continue;
                }

                var source = files.FirstOrDefault(f => File.ReadAllText(f).Contains($"class {type.Name}", StringComparison.Ordinal));
                if (source is null || !File.ReadAllLines(source).Any(l => l.TrimStart().StartsWith(Reason, StringComparison.Ordinal)))
                {
                    missing.Add($"{type.FullName}: a constructor takes {most} parameters and {(source is null ? "its file was not found" : $"{Path.GetFileName(source)} has no '{Reason}' reason")}");
                }
            }
        }

        Assert.True(missing.Count == 0, string.Join(Environment.NewLine, missing.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Workers_only_plumb_at_most_four_dependencies_and_about_a_hundred_lines()
    {
        var workers = Assembly.Load("FaceWatch.Pipeline").GetTypes()
            .Where(t => t.Namespace == "FaceWatch.Pipeline.Workers" && t.Name.EndsWith("Worker", StringComparison.Ordinal) && !t.IsNested)
            .ToList();
        Assert.Contains(workers, t => t.Name == "DetectionWorker");
        Assert.Contains(workers, t => t.Name == "EmbeddingWorker");
        foreach (var worker in workers)
        {
            Assert.True(worker.GetConstructors().All(c => c.GetParameters().Length <= 4), $"{worker.Name} takes more than 4 dependencies");
            var file = Path.Combine(TestPaths.RepoRoot, "src", "FaceWatch.Pipeline", "10-Workers", worker.Name + ".cs");
            Assert.True(File.ReadAllLines(file).Length <= 120, $"{worker.Name}.cs is over 120 lines: move the work into a stage class");
        }
    }

    [Fact]
    public void The_size_check_sees_a_class_that_is_too_large()
    {
        // The check reads real files: the detector's cascade is the largest stage and must be found (with its reason).
        var mtcnn = Path.Combine(TestPaths.RepoRoot, "src", "FaceWatch.Pipeline", "03-Detection", "MtcnnDetector.cs");
        var lines = File.ReadAllLines(mtcnn);
        Assert.True(lines.Length > MaxLines);
        Assert.Contains(lines, l => l.TrimStart().StartsWith(Reason, StringComparison.Ordinal));
    }

    private static bool IsRecord(Type type) => type.GetMethod("<Clone>$") is not null;
}
