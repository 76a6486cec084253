using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
namespace FaceWatch.Hosting.Mqtt;

/// <summary>
/// Hands what happens live to the <see cref="MqttAnnouncer"/>: every identity event of the <see cref="IdentityEventHub"/>
/// and every camera status change. Subscribes at construction, not when it runs: the pipeline may publish before. With
/// <c>Mqtt:Enabled</c> false it subscribes to nothing, so nothing queues up and the pipeline never waits for MQTT.
/// Registered after <see cref="MqttSession"/>, so the host stops it first: it takes what the pipeline queued before
/// the session sends its last messages.
/// </summary>
internal sealed class MqttFeed : BackgroundService
{
    private readonly CameraHealthRegistry _health;
    private readonly MqttAnnouncer _announcer;
    private readonly ChannelReader<IdentityEvent>? _events;
    private readonly TimeProvider _time;

    public MqttFeed(IOptions<MqttOptions> options, IdentityEventHub hub, CameraHealthRegistry health, MqttAnnouncer announcer, TimeProvider time)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(hub);
        _health = health ?? throw new ArgumentNullException(nameof(health));
        _announcer = announcer ?? throw new ArgumentNullException(nameof(announcer));
        if (options.Value.Enabled)
        {
            _events = hub.Subscribe();
            _health.StatusChanged += _announcer.CameraStatusChanged;
        }
    }

    public override void Dispose()
    {
        _health.StatusChanged -= _announcer.CameraStatusChanged;
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_events is null)
        {
            return;
        }

        await Task.Yield();
        using var stopClock = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var clock = CheckAwayAsync(stopClock.Token);
        try
        {
            await foreach (var identityEvent in _events.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                _announcer.Accept(identityEvent);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: take what the pipeline queued before it stopped
        }

        while (_events.TryRead(out var identityEvent))
        {
            _announcer.Accept(identityEvent);
        }

        await stopClock.CancelAsync().ConfigureAwait(false);
        await clock.ConfigureAwait(false);
    }

    /// <summary>Once a second: people whose away time passed become away.</summary>
    private async Task CheckAwayAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                _announcer.CheckAway();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
        }
    }
}
