using System.Collections.Concurrent;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using OpenCvSharp;

using FaceWatch.Core.Health;
namespace FaceWatch.Tests.Pipeline.Capture;

/// <summary>Reconnect backoff and the stall watchdog of one camera, on a fake clock with a scripted source.</summary>
[Trait("Category", "Slow")]
public class CameraReaderTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly CollectingLoggerProvider _logs = new();
    private readonly CameraHealthRegistry _health = new();

    [Fact]
    public async Task Failing_opens_back_off_exponentially_to_the_cap_and_are_logged_once()
    {
        var factory = new ScriptedFactory(_time, _ => new ScriptedSource(_time) { OpenError = "connection refused" });
        using var queue = new DropOldestQueue<Frame>(2, singleWriter: true);
        var reader = NewReader(factory, queue, stallSeconds: 10);
        using var cts = new CancellationTokenSource();
        var run = reader.RunAsync(cts.Token);

        await AdvanceUntilAsync(() => factory.OpenTimes.Count >= 10, TimeSpan.FromMinutes(6));
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        var opens = factory.OpenTimes.ToArray();
        var gaps = opens.Zip(opens.Skip(1), (a, b) => (b - a).TotalSeconds).ToArray();
        Assert.True(gaps.Length >= 9, $"only {opens.Length} attempts");
        Assert.InRange(gaps[0], 0, 5);                      // starts near 1 s
        Assert.All(gaps, g => Assert.InRange(g, 0, 30.5));  // never above the cap (one 100 ms step of slack)
        Assert.InRange(gaps.TakeLast(3).Average(), 8, 30.5); // and has grown towards it
        Assert.True(gaps.TakeLast(3).Average() > gaps.Take(3).Average() * 2, string.Join(", ", gaps));

        // One "offline" line for the state change, not one per retry.
        var offline = _logs.WithEvent(101).ToList();
        Assert.Single(offline);
        Assert.Contains("connection refused", offline[0].Message, StringComparison.Ordinal);
        var health = _health.Get("cam");
        Assert.NotNull(health);
        Assert.False(health.Online);
        Assert.Equal("connection refused", health.LastError);
    }

    [Fact]
    public async Task A_stream_that_stops_sending_is_declared_stalled_and_reopened()
    {
        var factory = new ScriptedFactory(_time, attempt => attempt == 0
            ? new ScriptedSource(_time) { FramesBeforeHang = 3 }
            : new ScriptedSource(_time) { FramesBeforeHang = int.MaxValue });
        using var queue = new DropOldestQueue<Frame>(2, singleWriter: true);
        var reader = NewReader(factory, queue, stallSeconds: 10);
        using var cts = new CancellationTokenSource();
        var run = reader.RunAsync(cts.Token);

        await AdvanceUntilAsync(() => _logs.WithEvent(100).Any(), TimeSpan.FromSeconds(5));
        await AdvanceUntilAsync(() => false, TimeSpan.FromSeconds(9));
        Assert.Empty(_logs.WithEvent(101)); // 9 s without frames: not yet

        await AdvanceUntilAsync(() => _logs.WithEvent(101).Any(), TimeSpan.FromSeconds(3));
        Assert.Contains("stalled: no frame for 10 s", _logs.WithEvent(101).Single().Message, StringComparison.Ordinal);
        Assert.True(factory.Sources[0].Aborted);

        await AdvanceUntilAsync(() => _logs.WithEvent(100).Count() >= 2, TimeSpan.FromSeconds(40));
        Assert.Equal(1, reader.Reconnects);
        Assert.True(_health.Get("cam")?.Online);
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(factory.Sources, s => Assert.True(s.Disposed));
    }

    [Fact]
    public async Task A_full_queue_drops_the_oldest_frame_disposes_it_and_counts_it()
    {
        var dropped = new List<Frame>();
        using var queue = new DropOldestQueue<Frame>(2, singleWriter: true, dropped.Add);
        var frames = Enumerable.Range(1, 5).Select(i => new Frame("cam", i, new Mat(2, 2, MatType.CV_8UC3), _time.GetUtcNow(), i)).ToArray();
        foreach (var frame in frames)
        {
            queue.Write(frame);
        }

        Assert.Equal(3, queue.DroppedCount);
        Assert.Equal([1L, 2L, 3L], dropped.Select(f => f.Sequence));
        Assert.All(dropped, f => Assert.True(f.Image.IsDisposed));
        Assert.True(queue.Reader.TryRead(out var newest));
        Assert.Equal(4, newest.Sequence);
        newest.Dispose();
        queue.Dispose(); // drains and disposes what is left
        Assert.True(frames[4].Image.IsDisposed);
    }

    [Fact]
    public async Task The_camera_is_read_only_during_a_term_and_its_frames_carry_the_terms_epoch()
    {
        var factory = new ScriptedFactory(_time, _ => new ScriptedSource(_time) { FramesBeforeHang = int.MaxValue });
        using var queue = new DropOldestQueue<Frame>(64, singleWriter: true);
        var gate = new ScriptedGate();
        var reader = NewReader(factory, queue, stallSeconds: 10, gate);
        using var cts = new CancellationTokenSource();
        var run = reader.RunAsync(cts.Token);

        await AdvanceUntilAsync(() => false, TimeSpan.FromSeconds(2));
        Assert.Empty(factory.OpenTimes); // no term yet: the source is never opened

        using var first = new CancellationTokenSource();
        gate.Grant(new CameraTerm(7, first.Token));
        await AdvanceUntilAsync(() => queue.Reader.Count >= 3, TimeSpan.FromSeconds(5));
        Assert.Equal(7, reader.Epoch);
        Assert.True(_health.Get("cam")?.Online);

        await first.CancelAsync(); // lease lost: the source closes, the camera is offline for a reason that says why
        await AdvanceUntilAsync(() => factory.Sources[0].Disposed && _health.Get("cam")?.Online == false, TimeSpan.FromSeconds(5));
        Assert.True(factory.Sources[0].Aborted);
        Assert.Equal(CameraReader.NotHeldReason, _health.Get("cam")?.LastError);
        Assert.Null(reader.Epoch);
        await AdvanceUntilAsync(() => false, TimeSpan.FromSeconds(3));
        Assert.Single(factory.Sources); // and stays closed until the next term

        using var second = new CancellationTokenSource();
        gate.Grant(new CameraTerm(9, second.Token));
        await AdvanceUntilAsync(() => factory.Sources.Count == 2 && _health.Get("cam")?.Online == true, TimeSpan.FromSeconds(5));
        await AdvanceUntilAsync(() => false, TimeSpan.FromSeconds(1));
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        var epochs = new List<long?>();
        while (queue.Reader.TryRead(out var frame))
        {
            epochs.Add(frame.Epoch);
            frame.Dispose();
        }

        Assert.Contains(7L, epochs);
        Assert.Contains(9L, epochs);
        Assert.DoesNotContain(null, epochs);
        Assert.Equal(epochs.OrderBy(e => e), epochs); // every frame of the first term before any of the second
        Assert.All(factory.Sources, s => Assert.True(s.Disposed));
    }

    private CameraReader NewReader(IFrameSourceFactory factory, DropOldestQueue<Frame> queue, double stallSeconds, ICameraGate? gate = null) => new(
        new CameraOptions { Name = "cam", Source = "rtsp://cam/x", StallSeconds = stallSeconds },
        new CaptureOptions(),
        factory,
        queue,
        new CameraStats(),
        _health,
        _time,
        _logs.CreateLogger("capture"))
    {
        Gate = gate ?? OpenCameraGate.Instance,
    };

    /// <summary>Hands out the terms the test grants, one per wait (a cluster node's lease, in miniature).</summary>
    private sealed class ScriptedGate : ICameraGate
    {
        private readonly System.Threading.Channels.Channel<CameraTerm> _terms = System.Threading.Channels.Channel.CreateUnbounded<CameraTerm>();

        public void Grant(CameraTerm term) => Assert.True(_terms.Writer.TryWrite(term));

        public ValueTask<CameraTerm> WaitForTermAsync(string camera, CancellationToken cancellationToken) => _terms.Reader.ReadAsync(cancellationToken);
    }

    /// <summary>Moves the fake clock in 100 ms steps, letting the reader's threads run between steps.</summary>
    private async Task AdvanceUntilAsync(Func<bool> done, TimeSpan limit)
    {
        for (var t = TimeSpan.Zero; t < limit && !done(); t += TimeSpan.FromMilliseconds(100))
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(2);
        }
    }

    private sealed class ScriptedFactory(FakeTimeProvider time, Func<int, ScriptedSource> make) : IFrameSourceFactory
    {
        public ConcurrentQueue<DateTimeOffset> OpenTimes { get; } = new();

        public List<ScriptedSource> Sources { get; } = [];

        public IFrameSource Create(CameraOptions camera)
        {
            var source = make(Sources.Count);
            source.OnOpen = () => OpenTimes.Enqueue(time.GetUtcNow());
            Sources.Add(source);
            return source;
        }
    }

    private sealed class ScriptedSource(FakeTimeProvider time) : IFrameSource
    {
        private readonly ManualResetEventSlim _abort = new();
        private int _served;

        public string? OpenError { get; init; }

        public int FramesBeforeHang { get; init; }

        public Action? OnOpen { get; set; }

        public bool Aborted => _abort.IsSet;

        public bool Disposed { get; private set; }

        public bool EndIsFinal => false;

        public void Open(CancellationToken cancellationToken)
        {
            OnOpen?.Invoke();
            if (OpenError is not null)
            {
                throw new CameraException(OpenError);
            }
        }

        public Mat? Read(CancellationToken cancellationToken)
        {
            if (_served++ < FramesBeforeHang)
            {
                // One frame per 100 ms of fake time.
                var due = time.GetTimestamp() + (time.TimestampFrequency / 10);
                while (time.GetTimestamp() < due && !_abort.IsSet && !cancellationToken.IsCancellationRequested)
                {
                    _abort.Wait(1, CancellationToken.None);
                }

                return _abort.IsSet ? null : new Mat(4, 4, MatType.CV_8UC3);
            }

            _abort.Wait(Timeout.Infinite, CancellationToken.None); // hangs like a dead TCP stream
            return null;
        }

        public void Abort() => _abort.Set();

        public void Dispose()
        {
            Disposed = true;
            _abort.Dispose();
        }
    }
}
