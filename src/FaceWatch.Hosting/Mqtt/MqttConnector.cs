using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using Polly;
using Polly.Retry;

using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>A live broker session: the client and a task that completes (with the reason) when the connection drops.</summary>
internal sealed class MqttConnection(IMqttClient client, Task<string> lost, int attempts) : IDisposable
{
    public IMqttClient Client { get; } = client;

    public Task<string> Lost { get; } = lost;

    /// <summary>Attempts it took to connect.</summary>
    public int Attempts { get; } = attempts;

    public void Dispose() => Client.Dispose();
}

/// <summary>
/// Connects to the broker, retrying forever with exponential backoff and jitter (Polly), with the last will set.
/// MQTTnet 5 has no managed client, so a fresh client is made per attempt and never reconnected from its events.
/// Logs one line per new kind of failure (repeats go to debug); never logs credentials.
/// </summary>
internal sealed class MqttConnector : IDisposable
{
    // Refusals a user has to fix (see RefusalCode).
    private static readonly string[] RefusalCodes =
    [
        nameof(MqttClientConnectResultCode.BadUserNameOrPassword), nameof(MqttClientConnectResultCode.NotAuthorized),
        nameof(MqttClientConnectResultCode.ClientIdentifierNotValid), nameof(MqttClientConnectResultCode.Banned),
    ];

    private readonly MqttOptions _options;
    private readonly ILogger _logger;
    private readonly MqttClientFactory _factory = new();
    private readonly MqttClientOptions _clientOptions;
    private readonly MqttTlsMaterial? _tls;
    private readonly ResiliencePipeline _retry;
    private string? _lastFailure;
    private int _attempt;

    private readonly Func<MqttClientCredentials?>? _embeddedCredentials;

    public MqttConnector(MqttOptions options, MqttTopics topics, TimeProvider time, ILogger logger, Func<MqttClientCredentials?>? embeddedCredentials = null)
    {
        _options = options;
        _embeddedCredentials = embeddedCredentials;
        _logger = logger;
        var (host, port) = options.EffectiveBroker;
        var tls = options.Tls.Enabled && !options.Embedded.Enabled;
        Broker = $"{(tls ? "mqtts" : "mqtt")}://{host}:{port}";
        _tls = tls ? MqttTls.Build(options.Tls, host) : null;
        _clientOptions = BuildClientOptions(options, topics, host, port, _tls);
        _retry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(ConnectRetryOptions(options, args =>
            {
                OnConnectFailed(args.Outcome.Exception!, args.AttemptNumber + 1, args.RetryDelay);
                return default;
            }))
            .Build();
    }

    /// <summary>The broker as logged: scheme, host and port, never credentials.</summary>
    public string Broker { get; }

    /// <summary><c>Mqtt:Enabled</c>: false, and there is nothing to connect to.</summary>
    public bool Enabled => _options.Enabled;

    public string ClientId => _clientOptions.ClientId;

    /// <summary>Frees the TLS certificates; call after the last client made here is disposed.</summary>
    public void Dispose() => _tls?.Dispose();

    /// <summary>Connects, retrying until it works or <paramref name="cancellationToken"/> fires.</summary>
    public async Task<MqttConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var lost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _attempt = 0;
        var client = await _retry.ExecuteAsync(ct => ConnectOnceAsync(lost, ct), cancellationToken).ConfigureAwait(false);
        _lastFailure = null; // the next failure is news again
        return new MqttConnection(client, lost.Task, _attempt);
    }

    /// <summary>Reconnect policy: any failure, forever, exponential with jitter between the configured delays.</summary>
    internal static RetryStrategyOptions ConnectRetryOptions(MqttOptions options, Func<OnRetryArguments<object>, ValueTask>? onRetry = null) => new()
    {
        ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
        MaxRetryAttempts = int.MaxValue,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = TimeSpan.FromSeconds(options.ReconnectMinDelaySeconds),
        MaxDelay = TimeSpan.FromSeconds(options.ReconnectMaxDelaySeconds),
        OnRetry = onRetry,
    };

    private async ValueTask<IMqttClient> ConnectOnceAsync(TaskCompletionSource<string> lost, CancellationToken ct)
    {
        _attempt++;
        var client = _factory.CreateMqttClient();
        client.DisconnectedAsync += args =>
        {
            // Only signal here: reconnecting from this event risks deadlocks inside MQTTnet.
            if (args.ClientWasConnected)
            {
                lost.TrySetResult(args.Exception?.Message ?? args.ReasonString ?? args.Reason.ToString());
            }

            return Task.CompletedTask;
        };
        if (_options.Embedded.Enabled)
        {
            // Our own embedded broker reserves our client id for this process; another broker on its port gets no secret.
            _clientOptions.Credentials = _embeddedCredentials?.Invoke();
        }

        try
        {
            var result = await client.ConnectAsync(_clientOptions, ct).ConfigureAwait(false);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new MqttBrokerRefusedException(result.ResultCode.ToString());
            }

            return client;
        }
        catch (Exception ex) when (ex is not MqttBrokerRefusedException && RefusalCode(ex) is { } code)
        {
            client.Dispose();
            throw new MqttBrokerRefusedException(code, ex);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>MQTTnet reports a refused CONNACK as an exception naming the code; pick out the ones a user must fix.</summary>
    private static string? RefusalCode(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (RefusalCodes.FirstOrDefault(c => e.Message.Contains(c, StringComparison.Ordinal)) is { } code)
            {
                return code;
            }
        }

        return null;
    }

    private void OnConnectFailed(Exception ex, int attempt, TimeSpan delay)
    {
        var reason = ex is MqttBrokerRefusedException refused ? refused.Code : Describe(ex);
        if (reason == _lastFailure)
        {
            Log.StillUnreachable(_logger, Broker, attempt, reason, delay.TotalMilliseconds);
            return;
        }

        _lastFailure = reason;
        if (ex is MqttBrokerRefusedException { Code: nameof(MqttClientConnectResultCode.BadUserNameOrPassword) or nameof(MqttClientConnectResultCode.NotAuthorized) })
        {
            Log.CredentialsRejected(_logger, Broker, _options.Username ?? "(anonymous)", reason, delay.TotalMilliseconds);
        }
        else if (ex is MqttBrokerRefusedException)
        {
            Log.Refused(_logger, Broker, reason, _clientOptions.ClientId, delay.TotalMilliseconds);
        }
        else
        {
            Log.Unreachable(_logger, Broker, reason, delay.TotalMilliseconds);
        }
    }

    private static string Describe(Exception ex)
    {
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return ReferenceEquals(inner, ex) ? ex.Message : $"{ex.Message} ({inner.Message})";
    }

    private static MqttClientOptions BuildClientOptions(MqttOptions options, MqttTopics topics, string host, int port, MqttTlsMaterial? tls)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(options.EffectiveClientId)
            .WithCleanSession(options.CleanSession)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(options.KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithWillTopic(topics.Status)
            .WithWillPayload(MqttPayloadValues.Offline)
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (!options.Embedded.Enabled && !string.IsNullOrEmpty(options.Username))
        {
            builder.WithCredentials(options.Username, options.Password ?? string.Empty);
        }

        if (tls is not null)
        {
            builder.WithTlsOptions(tls.Options);
        }

        return builder.Build();
    }
}

/// <summary>The broker answered CONNECT with a refusal the user has to fix (credentials, client id, ban).</summary>
public sealed class MqttBrokerRefusedException : Exception
{
    public MqttBrokerRefusedException(string code, Exception? inner = null)
        : base($"The broker refused the connection: {code}.", inner)
    {
        Code = code;
    }

    public string Code { get; }
}
