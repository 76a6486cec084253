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
        try
        {
            return builder.Build();
        }
        catch (InvalidDataException ex) when (FindJsonError(ex) is { } json)
        {
            // The JSON reader counts from 0; people and editors count lines and columns from 1.
            var where = json.LineNumber is { } line ? $"line {line + 1}, column {(json.BytePositionInLine ?? 0) + 1}" : "unknown position";
            var what = json.Message.Split(" LineNumber:", 2)[0].Split(" Path:", 2)[0].TrimEnd('.', ' ');
            throw new InvalidDataException($"Config file '{configFile}' is not valid JSON at {where}: {what}.", ex);
        }
    }

    /// <summary>
    /// Adds <paramref name="configuration"/> to <paramref name="builder"/> as one source, keeping keys set to an empty value
    /// (<c>"TopicPrefix": ""</c>, <c>FACEWATCH_Mqtt__TopicPrefix=</c>). <c>AddConfiguration</c> drops them (its provider
    /// reports an empty value as missing), so the options kept their defaults and an explicit "" silently became
    /// <c>facewatch</c>; with this the options and their validators see exactly what the user wrote.
    /// </summary>
    public static IConfigurationBuilder AddKeepingEmptyValues(this IConfigurationBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        return builder.Add(new KeepingEmptySource(configuration));
    }

    private sealed class KeepingEmptySource(IConfiguration configuration) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new KeepingEmptyProvider(configuration);
    }

    private sealed class KeepingEmptyProvider(IConfiguration configuration) : ConfigurationProvider
    {
        // A section with children reads as null (not a value); "" is a value.
        public override bool TryGet(string key, out string? value)
        {
            value = configuration[key];
            return value is not null;
        }

        public override void Set(string key, string? value) => configuration[key] = value;

        public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
        {
            var section = parentPath is null ? configuration : configuration.GetSection(parentPath);
            return section.GetChildren().Select(c => c.Key).Concat(earlierKeys).OrderBy(k => k, ConfigurationKeyComparer.Instance);
        }
    }

    private static System.Text.Json.JsonException? FindJsonError(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is System.Text.Json.JsonException json)
            {
                return json;
            }
        }

        return null;
    }
}
