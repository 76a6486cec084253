using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace FaceWatch.Pipeline.Publishing;

/// <summary>Connection to the MQTT broker and what is published there (config section <c>Mqtt</c>).</summary>
public sealed class MqttOptions
{
    public const string SectionName = "Mqtt";

    /// <summary>Publish to MQTT at all. Off: the daemon runs without a broker and nothing is buffered.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Broker host name or address (ignored when <see cref="Embedded"/> is enabled).</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Mqtt:Host must be set (the broker's host name or address).")]
    public string Host { get; set; } = "localhost";

    [Range(1, 65535, ErrorMessage = "Mqtt:Port must be between 1 and 65535.")]
    public int Port { get; set; } = 1883;

    /// <summary>First segment(s) of every topic; may contain '/' but no wildcards or empty segments.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Mqtt:TopicPrefix must not be empty: every topic starts with it (default facewatch).")]
    public string TopicPrefix { get; set; } = "facewatch";

    public MqttTlsOptions Tls { get; set; } = new();

    public string? Username { get; set; }

    /// <summary>Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>Stable client id (the broker keeps our session under it, clean session is off). Default: <c>facewatch-&lt;machine&gt;</c>.</summary>
    public string? ClientId { get; set; }

    [Range(5, 3600, ErrorMessage = "Mqtt:KeepAliveSeconds must be between 5 and 3600.")]
    public int KeepAliveSeconds { get; set; } = 30;

    /// <summary>QoS of every message (events, status, people, discovery); 1 = at least once.</summary>
    [Range(0, 2, ErrorMessage = "Mqtt:Qos must be 0, 1 or 2.")]
    public int Qos { get; set; } = 1;

    public bool CleanSession { get; set; }

    /// <summary>How many events wait for the broker while it is unreachable; when full the oldest is dropped (counted, warned).</summary>
    [Range(1, 1_000_000, ErrorMessage = "Mqtt:OutboxCapacity must be between 1 and 1000000.")]
    public int OutboxCapacity { get; set; } = 10_000;

    /// <summary>Publish the face crop JPEG on <c>&lt;prefix&gt;/&lt;camera&gt;/snapshot</c> when someone arrives.</summary>
    public bool Snapshots { get; set; }

    /// <summary>An enrolled person is <c>away</c> once no camera has seen them for this long (<c>&lt;prefix&gt;/people/&lt;person&gt;</c>).</summary>
    [Range(1, 86_400, ErrorMessage = "Mqtt:PersonAwaySeconds must be between 1 and 86400.")]
    public double PersonAwaySeconds { get; set; } = 300;

    /// <summary>First wait before reconnecting; doubles (with jitter) up to <see cref="ReconnectMaxDelaySeconds"/>.</summary>
    [Range(0.05, 3600, ErrorMessage = "Mqtt:ReconnectMinDelaySeconds must be between 0.05 and 3600.")]
    public double ReconnectMinDelaySeconds { get; set; } = 1;

    [Range(0.05, 3600, ErrorMessage = "Mqtt:ReconnectMaxDelaySeconds must be between 0.05 and 3600.")]
    public double ReconnectMaxDelaySeconds { get; set; } = 30;

    public EmbeddedBrokerOptions Embedded { get; set; } = new();

    /// <summary>The client id used when none is configured.</summary>
    public string EffectiveClientId => string.IsNullOrWhiteSpace(ClientId) ? "facewatch-" + Environment.MachineName : ClientId;

    /// <summary>Where the publisher connects: the embedded broker when enabled, else <see cref="Host"/>:<see cref="Port"/>.</summary>
    public (string Host, int Port) EffectiveBroker =>
        Embedded.Enabled ? (Embedded.ConnectAddress, Embedded.Port) : (Host, Port);
}

/// <summary>TLS to the broker (<c>Mqtt:Tls</c>).</summary>
public sealed class MqttTlsOptions
{
    public bool Enabled { get; set; }

    /// <summary>PEM file of the CA that signed the broker's certificate (when it is not in the system store).</summary>
    public string? CaFile { get; set; }

    /// <summary>Client certificate: PEM (with <see cref="ClientKeyFile"/>) or PKCS#12 (.pfx/.p12, with <see cref="ClientKeyPassword"/>).</summary>
    public string? ClientCertFile { get; set; }

    public string? ClientKeyFile { get; set; }

    /// <summary>Password of an encrypted key or PKCS#12 file. Never logged.</summary>
    public string? ClientKeyPassword { get; set; }

    /// <summary>Accept any broker certificate (self-signed, wrong name). Only as an explicit choice.</summary>
    public bool AllowUntrusted { get; set; }
}

/// <summary>
/// An MQTT broker inside the daemon (<c>Mqtt:Embedded</c>), for the zero-config demo. The short form
/// <c>"Embedded": true</c> means <c>"Embedded": { "Enabled": true }</c>.
/// </summary>
[TypeConverter(typeof(EmbeddedBrokerOptionsConverter))]
public sealed class EmbeddedBrokerOptions
{
    public bool Enabled { get; set; }

    public int Port { get; set; } = 1883;

    /// <summary>Address the embedded broker listens on; loopback by default so it is not exposed.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>User name other clients must give (with <see cref="Password"/>); required when <see cref="BindAddress"/> is not loopback.</summary>
    public string? Username { get; set; }

    /// <summary>Password other clients must give. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>Largest payload accepted in one message, in bytes; larger ones are refused (not stored, not forwarded).</summary>
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>Most retained topics other clients may keep on the broker (FaceWatch's own are always kept).</summary>
    public int MaxRetainedMessages { get; set; } = 1000;

    /// <summary>Most bytes of retained payloads other clients may keep on the broker.</summary>
    public long MaxRetainedBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>True when <see cref="BindAddress"/> is a loopback address (only this machine can connect).</summary>
    public bool IsLoopback => System.Net.IPAddress.TryParse(BindAddress, out var address) && System.Net.IPAddress.IsLoopback(address);

    /// <summary>Where a local client reaches the embedded broker (loopback when bound to any address).</summary>
    public string ConnectAddress => BindAddress switch
    {
        "0.0.0.0" => "127.0.0.1",
        "::" => "::1",
        _ => BindAddress,
    };
}

/// <summary>Home Assistant MQTT discovery (config section <c>HomeAssistant</c>).</summary>
public sealed class HomeAssistantOptions
{
    public const string SectionName = "HomeAssistant";

    public bool Discovery { get; set; } = true;

    public string DiscoveryPrefix { get; set; } = "homeassistant";
}

/// <summary>Lets <c>Mqtt:Embedded</c> be a plain <c>true</c>/<c>false</c> as well as a section.</summary>
internal sealed class EmbeddedBrokerOptionsConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text
            ? bool.TryParse(text, out var enabled)
                ? new EmbeddedBrokerOptions { Enabled = enabled }
                : throw new FormatException($"Mqtt:Embedded must be true, false or a section (Enabled, Port, BindAddress, Username, Password, MaxMessageBytes, MaxRetainedMessages, MaxRetainedBytes), not '{text}'.")
            : base.ConvertFrom(context, culture, value);
}
