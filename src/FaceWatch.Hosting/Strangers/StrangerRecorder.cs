using System.Threading.Channels;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Workers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting.Strangers;

/// <summary>
/// With <c>Strangers:Enabled</c>: hands every <c>left</c> of an <c>unknown</c> visit (with its best faces) from the
/// <see cref="IdentityEventHub"/> to the <see cref="StrangerStore"/>, grouped at the current gallery's same-face
/// threshold, and enforces the retention at start and every <see cref="CleanInterval"/>. Subscribes at construction
/// (the pipeline may publish before it runs) and is registered before the pipeline service, so the host stops it after
/// the pipeline: the last visits' <c>left</c> are still kept.
/// </summary>
internal sealed class StrangerRecorder : BackgroundService
{
    public static readonly TimeSpan CleanInterval = TimeSpan.FromMinutes(10);

    private readonly ChannelReader<IdentityEvent> _events;
    private readonly StrangerStore _store;
    private readonly GalleryWatcher _gallery;
    private readonly StrangerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StrangerRecorder> _logger;

    public StrangerRecorder(IdentityEventHub hub, StrangerStore store, GalleryWatcher gallery, IOptions<StrangerOptions> options, TimeProvider time, ILogger<StrangerRecorder> logger)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(options);
        _events = hub.Subscribe();
        _store = store;
        _gallery = gallery;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        Log.StrangersEnabled(_logger, _store.Folder, _options.RetentionDays, _options.MaxVisits, _options.CropsPerVisit);
        using var timer = new PeriodicTimer(CleanInterval, _time);
        var tick = Task.FromResult(true);
        var next = _events.WaitToReadAsync(stoppingToken).AsTask();
        try
        {
            while (true)
            {
                var done = await Task.WhenAny(tick, next).ConfigureAwait(false);
                if (done == tick)
                {
                    if (!await tick.ConfigureAwait(false))
                    {
                        break;
                    }

                    await _store.EnforceRetentionAsync(stoppingToken).ConfigureAwait(false);
                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                    continue;
                }

                if (!await next.ConfigureAwait(false))
                {
                    break;
                }

                await TakeQueuedAsync(stoppingToken).ConfigureAwait(false);
                next = _events.WaitToReadAsync(stoppingToken).AsTask();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: keep what the pipeline queued before it stopped.
        }

        await TakeQueuedAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task TakeQueuedAsync(CancellationToken cancellationToken)
    {
        while (_events.TryRead(out var e))
        {
            if (e.Event == IdentityEventKind.Left && e.Faces is { Count: > 0 })
            {
                await _store.AddAsync(e, _gallery.SameFace, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
