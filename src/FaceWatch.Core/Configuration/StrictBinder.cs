using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Text;
namespace FaceWatch.Core.Configuration;

/// <summary>
/// Binds a configuration section to an options object and rejects keys that are not settings and values of the wrong
/// type, naming the full key (e.g. <c>Cameras:1:Sourse: unknown setting</c>, <c>Cameras:0:DetectFps: 'fast' is not a
/// number</c>), so a typo fails at start instead of silently using a default or printing .NET type names.
/// </summary>
public static class StrictBinder
{
    /// <summary>Top-level sections the daemon knows. Owners of new sections add theirs here.</summary>
    public static readonly IReadOnlySet<string> KnownSections = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Cameras", "Capture", "Pipeline", "Tracking", "Recognition", "Identity", "Gallery", "Demo", "Models", "Detection", "Gating", "Embedding",
        "Mqtt", "HomeAssistant", "Web", "Debug", "Snapshots", "Logging", "Images", "Cluster", "Strangers",
    };

    /// <summary>Keys the .NET host writes into the configuration it is built with (HostDefaults): not the user's, never unknown.</summary>
    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase) { "contentRoot", "environment", "applicationName" };

    public static void Bind<T>(IConfiguration configuration, string sectionName, T target)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(sectionName);
        // unknown keys and values the binder could only refuse with .NET type names ("to type 'System.Int32'")
        var problems = ConfigurationChecks.Problems(section, typeof(T)).ToList();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(sectionName, typeof(T), problems);
        }

        section.Bind(target, o => o.ErrorOnUnknownConfiguration = true);
    }

    /// <summary>Binds a list section (<c>Cameras:0</c>, <c>Cameras:1</c>, ...).</summary>
    public static void BindList<T>(IConfiguration configuration, string sectionName, List<T> target)
        where T : class, new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(target);
        var section = configuration.GetSection(sectionName);
        var unknown = new List<string>();
        var children = section.GetChildren().ToList();
        if (children.Count == 0 && IsSet(configuration, sectionName))
        {
            // "Cameras": "front_door", 5, null, [] or FACEWATCH_Cameras=door: not a list of cameras. Only a missing key means "none".
            throw new OptionsValidationException(sectionName, typeof(T), [
                string.IsNullOrEmpty(section.Value)
                    ? $"{sectionName}: expected a list (JSON array) of cameras, got null or an empty list (leave {sectionName} out entirely to play the demo)"
                    : $"{sectionName}: expected a list (JSON array) of cameras, got the single value '{UrlRedactor.Redact(section.Value)}'",
            ]);
        }

        foreach (var item in children)
        {
            if (!int.TryParse(item.Key, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                unknown.Add($"{item.Path}: expected a list (JSON array) of cameras");
                continue;
            }

            if (!item.GetChildren().Any())
            {
                unknown.Add($"{item.Path}: expected a camera (an object with Name and Source), got {(string.IsNullOrEmpty(item.Value) ? "nothing" : $"the value '{UrlRedactor.Redact(item.Value)}'")}");
                continue;
            }

            unknown.AddRange(ConfigurationChecks.Problems(item, typeof(T)));
        }

        if (unknown.Count > 0)
        {
            throw new OptionsValidationException(sectionName, typeof(T), unknown);
        }

        foreach (var item in section.GetChildren().OrderBy(c => int.Parse(c.Key, System.Globalization.CultureInfo.InvariantCulture)))
        {
            var value = new T();
            item.Bind(value, o => o.ErrorOnUnknownConfiguration = true);
            target.Add(value);
        }
    }

    /// <summary>
    /// Whether <paramref name="key"/> is given at all, even as null or an empty list (which configuration sections do not
    /// tell apart from a missing key).
    /// </summary>
    public static bool IsSet(IConfiguration configuration, string key)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(key);
        if (section.Value is not null || section.GetChildren().Any())
        {
            return true;
        }

        return configuration is IConfigurationRoot root && root.Providers.Any(p => p is ChainedConfigurationProvider chained
            ? IsSet(chained.Configuration, key)
            : p.TryGet(key, out _));
    }

    /// <summary>
    /// Problems in the <c>Logging</c> section (bound by the logging library, which ignores what it does not know): only
    /// <c>Logging:LogLevel:&lt;category&gt;</c> = a level name is a setting; anything else is an unknown setting.
    /// </summary>
    public static IEnumerable<string> LoggingProblems(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var child in configuration.GetSection("Logging").GetChildren())
        {
            if (!child.Key.Equals("LogLevel", StringComparison.OrdinalIgnoreCase))
            {
                yield return $"{child.Path}: unknown setting (the Logging section takes LogLevel:<category>, e.g. Logging:LogLevel:Default)";
                continue;
            }

            foreach (var level in child.GetChildren())
            {
                if (level.Value is null || level.GetChildren().Any())
                {
                    yield return $"{level.Path}: expected a log level (Trace, Debug, Information, Warning, Error, Critical or None)";
                }
                else if (!Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(level.Value, ignoreCase: true, out _) || int.TryParse(level.Value, out _))
                {
                    yield return $"{level.Path}: '{level.Value}' is not a log level (Trace, Debug, Information, Warning, Error, Critical or None)";
                }
            }
        }
    }

    /// <summary>Top-level keys that are no known section.</summary>
    public static IEnumerable<string> UnknownSections(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.GetChildren().Select(c => c.Key).Where(k => !KnownSections.Contains(k) && !HostKeys.Contains(k));
    }
}
