using FaceWatch.Hosting;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FaceWatch.Commands.Scenarios;

/// <summary>What the scenario benches (<c>bench tracking</c>, <c>bench visits</c>) share: checking names, loading a set, medians.</summary>
internal static class ScenarioBench
{
    /// <summary>Null when every name is known, else the line to print (the verb exits with 2).</summary>
    public static string? UnknownNames(string verb, string what, IEnumerable<string> names, IReadOnlyCollection<string> known)
    {
        var unknown = names.Except(known).ToArray();
        return unknown.Length == 0 ? null : $"bench {verb}: unknown {what}(s) {string.Join(", ", unknown)}; known: {string.Join(", ", known)}.";
    }

    /// <summary>
    /// Loads (or builds) a set with the daemon's own detector and embedder; their sessions are freed before the runs start
    /// theirs.
    /// </summary>
    public static async Task<ScenarioSet> LoadSetAsync(
        IConfiguration configuration, Func<IFaceDetector, IFaceEmbedder, Task<ScenarioSet>> load)
    {
        var builder = DaemonHost.CreateBuilder(configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        using var tools = builder.Build();
        return await load(tools.Services.GetRequiredService<IFaceDetector>(), tools.Services.GetRequiredService<IFaceEmbedder>()).ConfigureAwait(false);
    }

    /// <summary>Median of the values that are numbers (NaN when none): the mean of the middle two for an even count.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
