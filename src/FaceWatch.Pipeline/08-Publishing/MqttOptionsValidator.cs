using System.Net;
using Microsoft.Extensions.Options;

namespace FaceWatch.Pipeline.Publishing;

/// <summary>Rules across fields and nested sections of <see cref="MqttOptions"/>; each error names its config key.</summary>
public sealed class MqttOptionsValidator : IValidateOptions<MqttOptions>
{
    public ValidateOptionsResult Validate(string? name, MqttOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        if (!string.IsNullOrEmpty(options.TopicPrefix) && !MqttTopics.IsValidPrefix(options.TopicPrefix))
        {
            errors.Add($"Mqtt:TopicPrefix '{options.TopicPrefix}' is not a valid topic prefix: no '+', '#', control characters, empty segments, leading/trailing '/' or leading '$' ('$' topics such as $SYS belong to the broker).");
        }

        if (options.ReconnectMinDelaySeconds > options.ReconnectMaxDelaySeconds)
        {
            errors.Add(FormattableString.Invariant($"Mqtt:ReconnectMinDelaySeconds must not exceed Mqtt:ReconnectMaxDelaySeconds (got {options.ReconnectMinDelaySeconds} and {options.ReconnectMaxDelaySeconds})."));
        }

        if (options.ClientId is { Length: > 0 } id && id.Any(char.IsControl))
        {
            errors.Add("Mqtt:ClientId must not contain control characters.");
        }

        if (options.Password is { Length: > 0 } && string.IsNullOrEmpty(options.Username))
        {
            errors.Add("Mqtt:Password is set but Mqtt:Username is empty.");
        }

        var tls = options.Tls;
        if (tls is null)
        {
            errors.Add("Mqtt:Tls must not be null.");
        }
        else
        {
            CheckFile(errors, "Mqtt:Tls:CaFile", tls.CaFile);
            CheckFile(errors, "Mqtt:Tls:ClientCertFile", tls.ClientCertFile);
            CheckFile(errors, "Mqtt:Tls:ClientKeyFile", tls.ClientKeyFile);
            if (!string.IsNullOrEmpty(tls.ClientKeyFile) && string.IsNullOrEmpty(tls.ClientCertFile))
            {
                errors.Add("Mqtt:Tls:ClientKeyFile is set but Mqtt:Tls:ClientCertFile is empty.");
            }

            if (!tls.Enabled && (!string.IsNullOrEmpty(tls.CaFile) || !string.IsNullOrEmpty(tls.ClientCertFile)))
            {
                errors.Add("Mqtt:Tls:CaFile or Mqtt:Tls:ClientCertFile is set but Mqtt:Tls:Enabled is false.");
            }
        }

        var embedded = options.Embedded;
        if (embedded is null)
        {
            errors.Add("Mqtt:Embedded must not be null.");
        }
        else
        {
            if (embedded.Port is < 1 or > 65535)
            {
                errors.Add(FormattableString.Invariant($"Mqtt:Embedded:Port must be between 1 and 65535 (got {embedded.Port})"));
            }

            if (!IsPlainAddress(embedded.BindAddress))
            {
                errors.Add($"Mqtt:Embedded:BindAddress '{embedded.BindAddress}' is not an IP address such as 127.0.0.1, ::1 or 0.0.0.0 (use 127.0.0.1 for loopback).");
            }
            else if (embedded.Enabled && !embedded.IsLoopback && (string.IsNullOrEmpty(embedded.Username) || string.IsNullOrEmpty(embedded.Password)))
            {
                errors.Add($"Mqtt:Embedded:Username and Mqtt:Embedded:Password are required: Mqtt:Embedded:BindAddress '{embedded.BindAddress}' is not a loopback address, so the embedded broker would be open to the network. Set both (or bind 127.0.0.1).");
            }

            if (!string.IsNullOrEmpty(embedded.Password) && string.IsNullOrEmpty(embedded.Username))
            {
                errors.Add("Mqtt:Embedded:Password is set but Mqtt:Embedded:Username is empty.");
            }

            if (!string.IsNullOrEmpty(embedded.Username) && string.IsNullOrEmpty(embedded.Password))
            {
                errors.Add("Mqtt:Embedded:Username is set but Mqtt:Embedded:Password is empty.");
            }

            if (embedded.MaxMessageBytes is < 1024 or > 256 * 1024 * 1024)
            {
                errors.Add(FormattableString.Invariant($"Mqtt:Embedded:MaxMessageBytes must be between 1024 and 268435456 (got {embedded.MaxMessageBytes})"));
            }

            if (embedded.MaxRetainedMessages is < 0 or > 1_000_000)
            {
                errors.Add(FormattableString.Invariant($"Mqtt:Embedded:MaxRetainedMessages must be between 0 and 1000000 (got {embedded.MaxRetainedMessages})"));
            }

            if (embedded.MaxRetainedBytes is < 0 or > 4L * 1024 * 1024 * 1024)
            {
                errors.Add(FormattableString.Invariant($"Mqtt:Embedded:MaxRetainedBytes must be between 0 and 4294967296 (got {embedded.MaxRetainedBytes})"));
            }

            if (embedded.Enabled && tls is { Enabled: true })
            {
                errors.Add("Mqtt:Embedded:Enabled and Mqtt:Tls:Enabled are both true: the embedded broker speaks plain MQTT on loopback.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// An address written the usual way: dotted IPv4 with four parts, or IPv6 without brackets or a zone. (IPAddress.TryParse
    /// also takes '1', '127.1', '0x7f.1' or '[::1]', which the broker's socket binds to surprising places.)
    /// </summary>
    internal static bool IsPlainAddress(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text != text.Trim() || !IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? text.Split('.').Length == 4 && text.All(c => char.IsAsciiDigit(c) || c == '.') && address.ToString() == string.Join('.', text.Split('.').Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)))
            : !text.Contains('[', StringComparison.Ordinal) && !text.Contains('%', StringComparison.Ordinal) && address.ScopeId == 0;
    }

    private static void CheckFile(List<string> errors, string key, string? path)
    {
        if (!string.IsNullOrEmpty(path) && !File.Exists(path))
        {
            errors.Add($"{key}: file '{path}' does not exist.");
        }
    }
}

/// <summary>Rules of <see cref="HomeAssistantOptions"/>.</summary>
public sealed class HomeAssistantOptionsValidator : IValidateOptions<HomeAssistantOptions>
{
    public ValidateOptionsResult Validate(string? name, HomeAssistantOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Discovery && !MqttTopics.IsValidPrefix(options.DiscoveryPrefix ?? string.Empty))
        {
            return ValidateOptionsResult.Fail(
                $"HomeAssistant:DiscoveryPrefix '{options.DiscoveryPrefix}' is not a valid topic prefix: no '+', '#', control characters, empty segments, leading/trailing '/' or leading '$'.");
        }

        return ValidateOptionsResult.Success;
    }
}
