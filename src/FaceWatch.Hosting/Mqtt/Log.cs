using Microsoft.Extensions.Logging;

namespace FaceWatch.Hosting.Mqtt;

/// <summary>Log lines of the MQTT area: state changes only, never credentials.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "MQTT connecting to {Broker} as client '{ClientId}'")]
    public static partial void Connecting(ILogger logger, string broker, string clientId);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "MQTT connected to {Broker} (attempt {Attempt}); {Pending} message group(s) waiting in the outbox")]
    public static partial void Connected(ILogger logger, string broker, int attempt, int pending);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "MQTT broker {Broker} unreachable: {Reason}; events are kept in the outbox, retrying with backoff (next try in {DelayMs:F0} ms)")]
    public static partial void Unreachable(ILogger logger, string broker, string reason, double delayMs);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Debug, Message = "MQTT broker {Broker} still unreachable (attempt {Attempt}): {Reason}; next try in {DelayMs:F0} ms")]
    public static partial void StillUnreachable(ILogger logger, string broker, int attempt, string reason, double delayMs);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Error, Message = "MQTT broker {Broker} rejected the credentials of user '{User}' ({Code}). Check Mqtt:Username and Mqtt:Password; retrying with backoff (next try in {DelayMs:F0} ms)")]
    public static partial void CredentialsRejected(ILogger logger, string broker, string user, string code, double delayMs);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Error, Message = "MQTT broker {Broker} refused the connection: {Code} (client id '{ClientId}'). Check Mqtt:ClientId and the broker's settings; retrying with backoff (next try in {DelayMs:F0} ms)")]
    public static partial void Refused(ILogger logger, string broker, string code, string clientId, double delayMs);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "MQTT connection to {Broker} lost: {Reason}; buffering events ({Pending} in the outbox)")]
    public static partial void Lost(ILogger logger, string broker, string reason, int pending);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "MQTT outbox full ({Capacity}): dropping the oldest events until the broker is back ({Dropped} dropped so far)")]
    public static partial void OutboxFull(ILogger logger, int capacity, long dropped);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Information, Message = "MQTT outbox no longer full; {Dropped} event(s) dropped in total")]
    public static partial void OutboxRecovered(ILogger logger, long dropped);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Information, Message = "MQTT disconnected cleanly from {Broker} ({Pending} message group(s) left unsent)")]
    public static partial void Disconnected(ILogger logger, string broker, int pending);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "MQTT broker {Broker} rejected a message on {Topic}: {Reason}")]
    public static partial void PublishRejected(ILogger logger, string broker, string topic, string reason);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "Home Assistant: removed discovery config {Topic} (camera no longer configured)")]
    public static partial void DiscoveryRemoved(ILogger logger, string topic);

    [LoggerMessage(EventId = 6018, Level = LogLevel.Information, Message = "Home Assistant: left {Count} discovery config(s) under this node alone ({Topics}, ...): not published by this instance ('{InstanceId}')")]
    public static partial void DiscoveryNotOurs(ILogger logger, int count, string topics, string instanceId);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Information, Message = "Embedded MQTT broker listening on {Endpoint} ({Access}); a local broker for this machine, not a shared one")]
    public static partial void EmbeddedStarted(ILogger logger, string endpoint, string access);

    [LoggerMessage(EventId = 6019, Level = LogLevel.Warning, Message = "Embedded MQTT broker listening on {Endpoint}, which is reachable from the network ({Access}); it is meant for one machine: prefer a real broker (mosquitto) for a network")]
    public static partial void EmbeddedExposed(ILogger logger, string endpoint, string access);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "Embedded MQTT broker refused a connection from {Remote}: {Reason} ({Suppressed} similar refusal(s) not logged since the last one)")]
    public static partial void EmbeddedConnectionRefused(ILogger logger, string remote, string reason, long suppressed);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Warning, Message = "Embedded MQTT broker refused a message of client '{ClientId}': {What} ({Suppressed} similar refusal(s) not logged since the last one)")]
    public static partial void EmbeddedPublishRefused(ILogger logger, string clientId, string what, long suppressed);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Warning, Message = "Embedded MQTT broker not started: {Endpoint} is already in use by another broker; publishing to that one instead (set Mqtt:Embedded:Port to run the embedded broker elsewhere)")]
    public static partial void EmbeddedPortInUse(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Information, Message = "MQTT publishing is off (Mqtt:Enabled is false)")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Information, Message = "Embedded MQTT broker stopped")]
    public static partial void EmbeddedStopped(ILogger logger);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Warning, Message = "MQTT could not flush the outbox to {Broker} before shutdown: {Reason}")]
    public static partial void FlushFailed(ILogger logger, string broker, string reason);
}
