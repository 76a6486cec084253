namespace FaceWatch.Tests;

/// <summary>Where the tests find the repository, the shared test data and the converted models.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>../shared/data</c> from the repository root (read-only: copy before changing).</summary>
    public static string SharedData { get; } = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));

    /// <summary><c>FACEWATCH_Models__Dir</c> if set, else <c>models/</c> in the repository (filled by <c>facewatch models fetch</c>).</summary>
    public static string ModelsDir { get; } =
        Environment.GetEnvironmentVariable("FACEWATCH_Models__Dir") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.Combine(RepoRoot, "models");

    public static string Data(params string[] parts) => Path.Combine([SharedData, .. parts]);

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FaceWatch.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("FaceWatch.sln not found above " + AppContext.BaseDirectory);
    }
}
