using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

using FaceWatch.Core.Health;
using FaceWatch.Core.Text;
namespace FaceWatch.Pipeline.Capture;

// Size: one camera's whole capture life (open, read, stall watchdog, reconnect with backoff, health) in one loop; its eight parameters are what that loop reads from and writes to, split further it would pass them on unchanged.
/// <summary>
/// Keeps one camera delivering frames: opens a session, reads on a dedicated thread into a newest-wins queue,
/// watches for stalls (no frame for <c>StallSeconds</c>), and reopens with backoff after any failure, forever.
/// Reports online/offline, reconnects, open attempts (failed ones too) and the last error to <see cref="CameraHealthRegistry"/>, logging each change once.
/// </summary>
public sealed class CameraReader
{
    // A session that delivered frames at least this long counts as healthy: the next failure starts a fresh backoff.
    private static readonly TimeSpan HealthySession = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WatchdogTick = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan HealthReportInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ThreadStopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The offline reason of a camera this process may not read now (its health's last error).</summary>
    public const string NotHeldReason = "not held by this node";

    private readonly CameraOptions _camera;
    private readonly CaptureOptions _options;
    private readonly IFrameSourceFactory _factory;
    private readonly DropOldestQueue<Frame> _queue;
    private readonly CameraStats _stats;
    private readonly CameraHealthRegistry _health;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _safeSource;
    private readonly Lock _stateGate = new();
    private CameraTerm? _term;
    private bool? _online;
    private bool _everOnline;
    private long _reconnects;
    private long _attempts;
    private long _failedAttempts;
    private string? _lastError;
    private long _sequence;
    private long _lastHealthReport;
    private long _processedAtLastReport;

    public CameraReader(
        CameraOptions camera,
        CaptureOptions options,
        IFrameSourceFactory factory,
        DropOldestQueue<Frame> queue,
        CameraStats stats,
        CameraHealthRegistry health,
        TimeProvider time,
        ILogger logger)
    {
        _camera = camera;
        _options = options;
        _factory = factory;
        _queue = queue;
        _stats = stats;
        _health = health;
        _time = time;
        _logger = logger;
        _safeSource = UrlRedactor.Redact(camera.Source);
    }

    public string Camera => _camera.Name;

    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Sessions started (the first open included), whether or not they delivered a frame.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Sessions that ended before their first frame (not counting one stopped by shutdown).</summary>
    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);

    /// <summary>When the camera may be read (<see cref="OpenCameraGate"/>, always, unless set: cluster mode reads only under the camera's lease).</summary>
    public ICameraGate Gate { get; init; } = OpenCameraGate.Instance;

    /// <summary>The epoch of the term being read (null on a single box, or between terms).</summary>
    public long? Epoch => Volatile.Read(ref _term)?.Epoch;

    /// <summary>Runs until <paramref name="cancellationToken"/> fires (or a non-looping file ends); never throws for camera failures.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var term = await Gate.WaitForTermAsync(_camera.Name, cancellationToken).ConfigureAwait(false);
                using var held = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, term.Ended);
                Volatile.Write(ref _term, term);
                var finished = await ReadTermAsync(held.Token).ConfigureAwait(false);
                Volatile.Write(ref _term, null);
                if (finished)
                {
                    break;
                }

                if (!cancellationToken.IsCancellationRequested)
                {
                    // The term ended (cluster: lease lost or handed off): the source is closed until the next term.
                    SetOffline(NotHeldReason);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
        finally
        {
            _queue.Complete();
            Log.CameraStopped(_logger, _camera.Name);
        }
    }

    /// <summary>Reads with reconnects until the term's token fires (false) or a non-looping file ends (true).</summary>
    private async Task<bool> ReadTermAsync(CancellationToken cancellationToken)
    {
        var pipeline = ReconnectPolicy.Create(_options, _time, OnRetryAsync);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var outcome = await pipeline.ExecuteAsync(
                    static (self, token) => self.RunSessionAsync(token), this, cancellationToken).ConfigureAwait(false);
                if (outcome.Finished)
                {
                    Log.CameraFinished(_logger, _camera.Name, _safeSource);
                    SetOffline("end of file");
                    return true;
                }

                // Lost after a healthy session: go offline and reconnect at once, with a fresh backoff.
                SetOffline(outcome.Reason);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The term ended, or shutdown (the caller tells which).
        }

        return false;
    }

    private ValueTask OnRetryAsync(OnRetryArguments<object> args)
    {
        var reason = Describe(args.Outcome.Exception);
        SetOffline(reason);
        Log.RetryFailed(_logger, _camera.Name, args.AttemptNumber + 1, args.RetryDelay, reason);
        return ValueTask.CompletedTask;
    }

    private async ValueTask<SessionOutcome> RunSessionAsync(CancellationToken cancellationToken)
    {
        lock (_stateGate)
        {
            _attempts++;
        }

        IFrameSource source;
        try
        {
            source = _factory.Create(_camera);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            CountFailedAttempt();
            throw;
        }

        var session = new Session(source, _time.GetTimestamp());
        using var sessionCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var thread = new Thread(() => ReadLoop(session, sessionCts.Token))
        {
            IsBackground = true,
            Name = $"camera {_camera.Name}",
        };
        thread.Start();
        var stall = TimeSpan.FromSeconds(_camera.StallSeconds);
        try
        {
            while (!session.Completion.Task.IsCompleted)
            {
                await Task.WhenAny(session.Completion.Task, Task.Delay(WatchdogTick, _time, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                ReportHealthPeriodically();
                // Opening has its own time-outs (ffprobe's); the stall clock runs from the end of opening, with that much slack before.
                var quietFor = _time.GetElapsedTime(Interlocked.Read(ref session.LastProgress));
                var limit = session.Opened ? stall : stall + TimeSpan.FromSeconds(_options.ProbeTimeoutSeconds);
                if (!session.Completion.Task.IsCompleted && quietFor >= limit)
                {
                    source.Abort();
                    throw new CameraException(!session.Opened
                        ? $"not open after {limit.TotalSeconds:0.#} s"
                        : session.FramesRead == 0
                        ? $"no frame within {stall.TotalSeconds:0.#} s of opening"
                        : $"stalled: no frame for {stall.TotalSeconds:0.#} s");
                }
            }

            var frames = session.FramesRead;
            var healthy = frames > 0 && _time.GetElapsedTime(session.StartedAt) >= HealthySession;
            var ended = await session.Completion.Task.ConfigureAwait(false); // throws the session's failure
            if (ended && source.EndIsFinal)
            {
                return SessionOutcome.EndOfFile;
            }

            var reason = session.EndReason;
            return healthy ? SessionOutcome.Lost(reason) : throw new CameraException(reason);
        }
        finally
        {
            if (Interlocked.Read(ref session.FramesRead) == 0 && !cancellationToken.IsCancellationRequested)
            {
                // Counted before the retry reports the camera offline, so that report includes this attempt.
                CountFailedAttempt();
            }

            await sessionCts.CancelAsync().ConfigureAwait(false);
            source.Abort();
            await Task.WhenAny(session.Completion.Task, Task.Delay(ThreadStopTimeout, TimeProvider.System, CancellationToken.None)).ConfigureAwait(false);
            if (!session.Completion.Task.IsCompleted)
            {
                // A driver that ignores the abort: its thread still owns the source and disposes it if the read ever returns.
                Log.ThreadStuck(_logger, _camera.Name, ThreadStopTimeout);
            }
        }
    }

    /// <summary>
    /// The camera thread, sole owner of the session's source: open, read frames into the queue until the end, an abort
    /// or a failure, then say why it ended and dispose the source before completing the session. Both may block (ffmpeg's
    /// exit): here, not on the pool.
    /// </summary>
    private void ReadLoop(Session session, CancellationToken cancellationToken)
    {
        try
        {
            bool ended;
            using (session.Source)
            {
                ended = ReadFrames(session, cancellationToken);

                // The end is news too: the stall clock must not run out while the source says why and shuts down.
                Interlocked.Exchange(ref session.LastProgress, _time.GetTimestamp());
                session.EndReason = session.Source.DescribeEnd();
            }

            session.Completion.TrySetResult(ended);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Handed to the reconnect loop, which logs it once per state change.
            session.Completion.TrySetException(ex);
        }
    }

    /// <returns>True: the stream ended on its own; false: stopped by us.</returns>
    private bool ReadFrames(Session session, CancellationToken cancellationToken)
    {
        session.Source.Open(cancellationToken);
        Interlocked.Exchange(ref session.LastProgress, _time.GetTimestamp());
        session.Opened = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            var image = session.Source.Read(cancellationToken);
            if (image is null)
            {
                return !cancellationToken.IsCancellationRequested;
            }

            var now = _time.GetTimestamp();
            Interlocked.Exchange(ref session.LastProgress, now);
            _stats.OnCaptured();
            if (Interlocked.Increment(ref session.FramesRead) == 1)
            {
                SetOnline(image.Width, image.Height);
            }

#pragma warning disable CA2000 // the frame queue owns it now (it disposes what it drops)
            _queue.Write(new Frame(_camera.Name, Interlocked.Increment(ref _sequence), image, _time.GetUtcNow(), now, session.Source.Buffers)
            {
                Epoch = Volatile.Read(ref _term)?.Epoch,
            });
#pragma warning restore CA2000
        }

        return false;
    }

    private void CountFailedAttempt()
    {
        lock (_stateGate)
        {
            _failedAttempts++;
        }
    }

    private void SetOnline(int width, int height)
    {
        lock (_stateGate)
        {
            if (_online == true)
            {
                return;
            }

            if (_everOnline)
            {
                _reconnects++;
            }

            _online = true;
            _everOnline = true;
        }

        Log.CameraOnline(_logger, _camera.Name, width, height, _safeSource);
        Report();
    }

    private void SetOffline(string reason)
    {
        bool changed;
        lock (_stateGate)
        {
            changed = _online != false;
            _online = false;
            _lastError = reason;
        }

        if (changed)
        {
            Log.CameraOffline(_logger, _camera.Name, reason);
        }

        Report();
    }

    private void ReportHealthPeriodically()
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _lastHealthReport)) >= HealthReportInterval)
        {
            Report();
        }
    }

    private void Report()
    {
        var now = _time.GetTimestamp();
        var previous = Interlocked.Exchange(ref _lastHealthReport, now);
        var processed = _stats.Processed;
        var seconds = _time.GetElapsedTime(previous, now).TotalSeconds;
        var fps = previous == 0 || seconds <= 0 ? 0 : (processed - Interlocked.Exchange(ref _processedAtLastReport, processed)) / seconds;
        if (previous == 0)
        {
            Interlocked.Exchange(ref _processedAtLastReport, processed);
        }

        bool online;
        string? error;
        long reconnects, attempts, failedAttempts;
        lock (_stateGate)
        {
            online = _online == true;
            error = _lastError;
            reconnects = _reconnects;
            attempts = _attempts;
            failedAttempts = _failedAttempts;
        }

        _health.Report(new CameraHealth(
            _camera.Name, online, _stats.Captured, _stats.Dropped, reconnects, Math.Round(fps, 2), error, _time.GetUtcNow(), attempts, failedAttempts));
    }

    private static string Describe(Exception? ex) => ex switch
    {
        null => "unknown failure",
        CameraException => ex.Message,
        // Words, not .NET type names: this text is in logs, /healthz and the web page.
        OpenCvSharp.OpenCVException => UrlRedactor.Redact($"OpenCV error: {ex.Message}"),
        IOException => UrlRedactor.Redact($"I/O error: {ex.Message}"),
        System.ComponentModel.Win32Exception => UrlRedactor.Redact($"could not start a program: {ex.Message}"),
        TimeoutException => UrlRedactor.Redact($"timed out: {ex.Message}"),
        _ => UrlRedactor.Redact(ex.Message),
    };

    private sealed class Session(IFrameSource source, long startedAt)
    {
        public long LastProgress = startedAt;
        public long FramesRead;
        public volatile bool Opened;

        public IFrameSource Source { get; } = source;

        public long StartedAt { get; } = startedAt;

        /// <summary>The source's own account of the end, set by the camera thread before <see cref="Completion"/> succeeds.</summary>
        public string EndReason { get; set; } = "stream ended";

        /// <summary>True: the stream ended on its own; false: stopped by us. Faulted: the session failed.</summary>
        public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly record struct SessionOutcome(bool Finished, string Reason)
    {
        public static SessionOutcome EndOfFile => new(true, "end of file");

        public static SessionOutcome Lost(string reason) => new(false, reason);
    }
}
