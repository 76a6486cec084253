using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting;

/// <summary>
/// Binds a configuration section to an options object and rejects keys that are not settings, naming the full key
/// (e.g. <c>Cameras:1:Sourse</c>), so a typo fails at start instead of silently using a default.
/// </summary>
public static class StrictBinder
{
    /// <summary>Top-level sections the daemon knows. Owners of new sections add theirs here.</summary>
    public static readonly IReadOnlySet<string> KnownSections = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Cameras", "Capture", "Pipeline", "Tracking", "Recognition", "Identity", "Gallery", "Demo", "Models", "Detection", "Embedding",
        "Mqtt", "HomeAssistant", "Web", "Debug", "Snapshots", "Logging", "Images",
    };

    public static void Bind<T>(IConfiguration configuration, string sectionName, T target)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(sectionName);
        var unknown = UnknownKeys(section, typeof(T)).ToList();
        if (unknown.Count > 0)
        {
            throw new OptionsValidationException(sectionName, typeof(T), unknown.Select(k => $"{k}: unknown setting"));
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
                    : $"{sectionName}: expected a list (JSON array) of cameras, got the single value '{Pipeline.Capture.UrlRedactor.Redact(section.Value)}'",
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
                unknown.Add($"{item.Path}: expected a camera (an object with Name and Source), got {(string.IsNullOrEmpty(item.Value) ? "nothing" : $"the value '{Pipeline.Capture.UrlRedactor.Redact(item.Value)}'")}");
                continue;
            }

            unknown.AddRange(UnknownKeys(item, typeof(T)).Select(k => $"{k}: unknown setting"));
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
        return configuration.GetChildren().Select(c => c.Key).Where(k => !KnownSections.Contains(k));
    }

    private static IEnumerable<string> UnknownKeys(IConfigurationSection section, Type type)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .ToDictionary(p => p.Name, p => p.PropertyType, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var propertyType))
            {
                yield return child.Path;
                continue;
            }

            var itemType = ItemType(propertyType);
            if (itemType is not null && !IsLeaf(itemType))
            {
                foreach (var item in child.GetChildren())
                {
                    foreach (var key in UnknownKeys(item, itemType))
                    {
                        yield return key;
                    }
                }
            }
            else if (itemType is null && !IsLeaf(propertyType))
            {
                foreach (var key in UnknownKeys(child, propertyType))
                {
                    yield return key;
                }
            }
        }
    }

    private static Type? ItemType(Type type)
    {
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        return type.IsArray ? type.GetElementType() : type.GetGenericArguments().LastOrDefault();
    }

    private static bool IsLeaf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
            || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid);
    }
}
