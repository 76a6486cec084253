namespace FaceWatch.Tests;

/// <summary>Where the tests find the repository, the shared test data and the converted models.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// The shared test photos and video (read-only: copy before changing): <c>FACEWATCH_TEST_DATA</c> if set, else
    /// <c>../shared/data</c> beside the repository, else beside the checkout this one was cloned from (a scratch clone
    /// in a temporary folder still finds the data of the checkout it came from).
    /// </summary>
    public static string SharedData { get; } = FindSharedData();

    /// <summary><c>FACEWATCH_Models__Dir</c> if set, else <c>models/</c> in the repository (filled by <c>facewatch models fetch</c>).</summary>
    public static string ModelsDir { get; } =
        Environment.GetEnvironmentVariable("FACEWATCH_Models__Dir") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.Combine(RepoRoot, "models");

    public static string Data(params string[] parts) => Path.Combine([SharedData, .. parts]);

    private static string FindSharedData()
    {
        if (Environment.GetEnvironmentVariable("FACEWATCH_TEST_DATA") is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        var besideRepo = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));
        if (Directory.Exists(besideRepo))
        {
            return besideRepo;
        }

        var origin = LocalOrigin();
        var besideOrigin = origin is null ? null : Path.GetFullPath(Path.Combine(origin, "..", "shared", "data"));
        return besideOrigin is not null && Directory.Exists(besideOrigin) ? besideOrigin : besideRepo;
    }

    /// <summary>The folder of <c>remote.origin.url</c> when it is a local path (a clone of a checkout on this machine).</summary>
    private static string? LocalOrigin()
    {
        try
        {
            using var git = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", ["-C", RepoRoot, "config", "--get", "remote.origin.url"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (git is null)
            {
                return null;
            }

            var url = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            if (url.StartsWith("file://", StringComparison.Ordinal))
            {
                url = new Uri(url).LocalPath;
            }

            return git.ExitCode == 0 && Path.IsPathRooted(url) && Directory.Exists(url) ? url : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git: only the other places count
        }
    }

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
