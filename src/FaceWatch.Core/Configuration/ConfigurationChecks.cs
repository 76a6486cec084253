using System.Collections;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Numerics;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Text;
namespace FaceWatch.Core.Configuration;

/// <summary>
/// What is wrong with a configuration section before (or instead of) the configuration binder saying it with .NET type
/// names: keys that are no setting, and values that cannot become their setting's type, each naming the full key, the
/// value and what is expected in words (<c>Mqtt:Port: 'x' is not a whole number</c>).
/// </summary>
public static class ConfigurationChecks
{
    private const int MaxShownValue = 60;

    /// <summary>Unknown keys (<c>Cameras:1:Sourse: unknown setting</c>) and mistyped values under <paramref name="section"/>, bound to <paramref name="type"/>.</summary>
    public static IEnumerable<string> Problems(IConfigurationSection section, Type type)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(type);
        if (section.Value is { Length: > 0 } value && !section.GetChildren().Any() && !ConvertsFromText(type))
        {
            return [$"{section.Path}: {Shown(value)} is not a section; expected settings such as \"{section.Key}\": {{ ... }}"];
        }

        return ComplexProblems(section, type);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> with every problem of <see cref="Problems"/>, if any.</summary>
    public static void ThrowIfInvalid<TOptions>(IConfigurationSection section)
    {
        var problems = Problems(section, typeof(TOptions)).ToList();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(section.Path, typeof(TOptions), problems);
        }
    }

    /// <summary>A boolean setting read before the options are bound: anything but a valid <c>true</c> is false (the options check reports a bad value at start).</summary>
    public static bool IsTrue(IConfiguration configuration, string key)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return bool.TryParse(configuration[key], out var value) && value;
    }

    /// <summary>
    /// The data annotations of an options object as failures naming the full key (<c>Capture:FrameQueueCapacity: ...</c>),
    /// never the options class; a message that already starts with the key is kept as it is.
    /// </summary>
    public static IEnumerable<string> AnnotationFailures(object options, string sectionName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        foreach (var result in results)
        {
            var member = result.MemberNames.FirstOrDefault();
            var key = member is null ? sectionName : $"{sectionName}:{member}";
            var message = UrlRedactor.Redact(result.ErrorMessage ?? "invalid value");
            yield return message.StartsWith(key, StringComparison.OrdinalIgnoreCase) ? message : $"{key}: {message}";
        }
    }

    /// <summary>What a value of <paramref name="type"/> is, in words.</summary>
    public static string Expected(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
        {
            return "one of " + string.Join(", ", Enum.GetNames(type));
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "true or false",
            TypeCode.Byte or TypeCode.SByte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32
                or TypeCode.Int64 or TypeCode.UInt64 => "a whole number",
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
            TypeCode.String or TypeCode.Char => "text",
            _ when type == typeof(TimeSpan) => "a duration such as 00:00:30",
            _ when type == typeof(Uri) => "a URL",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time such as 2026-01-31T12:00:00Z",
            _ when type == typeof(Guid) => "a GUID",
            _ => "a section of settings",
        };
    }

    private static IEnumerable<string> ComplexProblems(IConfigurationSection section, Type type)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite || ItemType(p.PropertyType) is not null)
            .ToDictionary(p => p.Name, p => p.PropertyType, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var propertyType))
            {
                yield return $"{child.Path}: unknown setting";
                continue;
            }

            foreach (var problem in ValueProblems(child, propertyType))
            {
                yield return problem;
            }
        }
    }

    private static IEnumerable<string> ValueProblems(IConfigurationSection node, Type type)
    {
        var hasChildren = node.GetChildren().Any();
        if (IsLeaf(type))
        {
            if (hasChildren)
            {
                yield return $"{node.Path}: expected {Expected(type)}, not a section or list";
            }
            else if (node.Value is { } value && LeafProblem(value, type) is { } problem)
            {
                yield return $"{node.Path}: {problem}";
            }

            yield break;
        }

        if (ItemType(type) is { } itemType)
        {
            if (!hasChildren)
            {
                if (node.Value is { Length: > 0 } text)
                {
                    yield return $"{node.Path}: {Shown(text)} is not a list; expected a list (JSON array) of {Plural(itemType)}";
                }

                yield break;
            }

            foreach (var item in node.GetChildren())
            {
                foreach (var problem in ValueProblems(item, itemType))
                {
                    yield return problem;
                }
            }

            yield break;
        }

        // "" and JSON null leave a section at its defaults; a type with its own short form (Mqtt:Embedded: true) says what
        // it takes (the binder converts such a value even when an environment variable adds keys under it).
        if (node.Value is { Length: > 0 } scalar)
        {
            if (!ConvertsFromText(type))
            {
                if (!hasChildren)
                {
                    yield return $"{node.Path}: {Shown(scalar)} is not a section; expected settings such as \"{node.Key}\": {{ ... }}";
                }
            }
            else if (ConvertProblem(scalar, type) is { } message)
            {
                yield return message.StartsWith(node.Path, StringComparison.OrdinalIgnoreCase) ? message : $"{node.Path}: {message}";
            }
        }

        foreach (var problem in ComplexProblems(node, type))
        {
            yield return problem;
        }
    }

    private static string? LeafProblem(string value, Type type)
    {
        var nullable = Nullable.GetUnderlyingType(type) is not null;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string))
        {
            return null;
        }

        if (value.Length == 0)
        {
            return nullable ? null : $"empty; expected {Expected(target)}";
        }

        if (ConvertProblem(value, target) is null)
        {
            return null;
        }

        var expected = Expected(target);
        if (expected == "a whole number" && BigInteger.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            var max = target.GetField("MaxValue")?.GetValue(null);
            var min = target.GetField("MinValue")?.GetValue(null);
            return FormattableString.Invariant($"{Shown(value)} is out of range; expected a whole number from {min} to {max}");
        }

        return $"{Shown(value)} is not {expected}";
    }

    /// <summary>Null when the binder can convert <paramref name="value"/> (it uses the same type converter), else the converter's complaint.</summary>
    private static string? ConvertProblem(string value, Type type)
    {
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException or InvalidOperationException)
        {
            // Our own converters (in any FaceWatch assembly: Mqtt:Embedded's lives beside MqttOptions) speak to users; the framework's name types.
            var ours = type.Assembly.GetName().Name?.StartsWith("FaceWatch", StringComparison.OrdinalIgnoreCase) == true;
            return ours ? ex.Message : $"{Shown(value)} is not {Expected(type)}";
        }
    }

    private static bool ConvertsFromText(Type type) => IsLeaf(type) || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));

    private static string Plural(Type itemType) => Expected(itemType) switch
    {
        "text" => "texts",
        "a whole number" => "whole numbers",
        "a number" => "numbers",
        "a section of settings" => "sections",
        var other => "values (" + other + ")",
    };

    private static string Shown(string value)
    {
        var clean = new string([.. value.Select(c => char.IsControl(c) ? '?' : c)]);
        if (clean.Length > MaxShownValue)
        {
            clean = clean[..MaxShownValue] + "...";
        }

        return $"'{UrlRedactor.Redact(clean)}'";
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

/// <summary>
/// Validates the data annotations of <typeparamref name="TOptions"/> (as <c>ValidateDataAnnotations</c> does) with failures
/// naming the full key (<c>Capture:FrameQueueCapacity: The field FrameQueueCapacity must be between 1 and 16</c>), not the class.
/// </summary>
public sealed class KeyedAnnotationsValidator<TOptions>(string sectionName) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = ConfigurationChecks.AnnotationFailures(options, sectionName).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
