using Microsoft.Extensions.Configuration;

namespace FaceWatch.Configuration;

/// <summary>
/// The one settings scheme of every verb and the daemon: built-in defaults (the options classes'
/// initialisers), then the JSON file given with <c>--config</c>, then <c>FACEWATCH_Section__Key</c>
/// environment variables.
/// </summary>
internal static class FaceWatchConfiguration
{
    public const string EnvironmentPrefix = "FACEWATCH_";

    public static IConfigurationRoot Build(string? configFile)
    {
        var builder = new ConfigurationBuilder();
        if (!string.IsNullOrEmpty(configFile))
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full))
            {
                throw new FileNotFoundException($"Config file '{configFile}' does not exist.", full);
            }

            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        return builder.Build();
    }
}
