using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Tracking;
using Microsoft.Extensions.Logging;
using OpenCvSharp;

using FaceWatch.Core.Health;
namespace FaceWatch.Pipeline.Workers;

/// <summary>
/// One camera's detection loop: takes the newest frame at the camera's DetectFps, detects where its
/// <see cref="CameraDetector"/> says (motion, tracks, full scans), tracks,
/// gates and schedules faces for embedding (aligned copies into the shared crop queue), posts overlays, and ends
/// tracks (<c>left</c>). Plain calls to the stage classes; owns and disposes every frame it reads.
/// </summary>
public sealed class DetectionWorker
{
    private static readonly TimeSpan IdleTick = TimeSpan.FromSeconds(0.5);

    private readonly CameraOptions _camera;
    private readonly RecognitionOptions _recognition;
    private readonly DropOldestQueue<Frame> _frames;
    private readonly DropOldestQueue<FaceCrop> _crops;
    private readonly CameraDetector _detector;
    private readonly AlignFace _align;
    private readonly FaceTracker _tracker;
    private readonly TrackBook _book;
    private readonly CameraStats _stats;
    private readonly CameraHealthRegistry _health;
    private readonly IReadOnlyList<IFrameAnnotationSink> _sinks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ShotCutDetector _cuts;
    private readonly long _interval;
    private long _nextDue;

    public DetectionWorker(
        CameraOptions camera,
        RecognitionOptions recognition,
        DropOldestQueue<Frame> frames,
        DropOldestQueue<FaceCrop> crops,
        CameraDetector detector,
        AlignFace align,
        FaceTracker tracker,
        TrackBook book,
        CameraStats stats,
        CameraHealthRegistry health,
        IReadOnlyList<IFrameAnnotationSink> sinks,
        TimeProvider time,
        ILogger logger)
    {
        _camera = camera;
        _recognition = recognition;
        _frames = frames;
        _crops = crops;
        _detector = detector;
        _align = align;
        _tracker = tracker;
        _book = book;
        _stats = stats;
        _health = health;
        _sinks = sinks;
        _time = time;
        _logger = logger;
        _cuts = new ShotCutDetector(tracker.Options);
        _interval = (long)(time.TimestampFrequency / camera.DetectFps);
    }

    /// <summary>The latest frame's detection: plan, motion and cost (for the bench and tests; read it from <see cref="Processed"/>).</summary>
    public CameraDetection? LastDetection { get; private set; }

    /// <summary>Shot cuts seen on this camera.</summary>
    public long ShotCuts => _cuts.Cuts;

    /// <summary>Called with milliseconds from frame capture to tracked, for every processed frame; for the bench.</summary>
    public Action<double>? Processed { get; set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _frames.Reader;
        Task<bool>? waiting = null;
        try
        {
            while (true)
            {
                waiting ??= reader.WaitToReadAsync(cancellationToken).AsTask();
                if (!waiting.IsCompleted)
                {
                    // Only a wait needs the idle timer: frames already queued (the usual case under load) start none.
                    await Task.WhenAny(waiting, Task.Delay(IdleTick, _time, cancellationToken)).ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
                if (!waiting.IsCompleted)
                {
                    // No frame (camera offline): tracks still expire.
                    EndTracks(_tracker.Expire(_time.GetTimestamp()));
                    _book.Sweep(_time.GetTimestamp());
                    await _book.FlushOverflowAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (!await waiting.ConfigureAwait(false))
                {
                    break; // the camera finished
                }

                waiting = null;
#pragma warning disable CA2000 // false positive: disposed by the using block below
                while (reader.TryRead(out var frame))
#pragma warning restore CA2000
                {
                    using (frame)
                    {
                        // A third of a period of slack: a camera slightly faster than DetectFps must not halve the rate.
                        if (frame.CaptureTimestamp + (_interval / 3) < _nextDue)
                        {
                            _stats.OnSkipped();
                            continue;
                        }

                        _nextDue = Math.Max(_nextDue + _interval, frame.CaptureTimestamp + (_interval / 2));
                        Process(frame);
                    }
                }

                _book.Sweep(_time.GetTimestamp());
                await _book.FlushOverflowAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
        finally
        {
            // Every announced track gets its "left", also at shutdown.
            EndTracks(_tracker.EndAll());
            _book.Sweep(_time.GetTimestamp(), all: true);
            await _book.FlushOverflowAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Detect, track, schedule embedding, and post the overlay for one frame.</summary>
    public void Process(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var image = frame.Image;
        // The cut first: it voids the motion background and asks for a full scan.
        var cut = _cuts.Observe(image);
        var found = _detector.Detect(image, frame.CaptureTimestamp, _tracker.Predicted(frame.CaptureTimestamp), cut);
        LastDetection = found;
        _stats.OnProcessed();
        _stats.OnDetection(
            found.Plan.Kind switch { ScanKind.Full => -1, ScanKind.Regions => found.Plan.Regions.Count + found.Plan.Refind.Count, _ => 0 },
            found.Plan.Reason == ScanReason.Still,
            found.Motion.Share,
            found.Milliseconds);

        var update = _tracker.Update(found.Faces, frame.CaptureTimestamp, frame.CapturedAt, cut);
        EndTracks(update.Ended);
        var frameSize = new Size(image.Width, image.Height);
        var overlays = new List<TrackOverlay>(update.Active.Count);
        foreach (var track in update.Active)
        {
            if (!track.Confirmed)
            {
                continue;
            }

            FacePatchCheck.Check(image, track, _tracker.Options);
            _book.Seen(track, frameSize);
            if (track.Detection is not { } detection)
            {
                // Coasting on its prediction (no face matched in this frame): not drawn, a box there would lag the face.
                continue;
            }

            Schedule(frame, track, detection);
            // The visit's id and name; no name while the face is in doubt. The detection's own box: where the face is in this very frame.
            var view = _book.ViewOf(track.Id);
            var decision = view?.Decision;
            overlays.Add(new TrackOverlay(view?.VisitId ?? track.Id, detection.Box, detection.Landmarks, decision?.Name, decision?.Known ?? false, decision?.Confidence ?? 0)
            {
                Nearest = decision?.Nearest, Similarity = decision?.Similarity ?? 0, Margin = decision?.Margin,
            });
        }

        Annotate(frame, overlays);
        Processed?.Invoke(_time.GetElapsedTime(frame.CaptureTimestamp).TotalMilliseconds);
    }

    private void Schedule(Frame frame, Track track, FaceDetection detection)
    {
        var faceSize = Math.Min(detection.Box.Width, detection.Box.Height);
        // A settled track between rechecks is not embedded: skip aligning and measuring its face (most faces, most frames).
        if (FaceQuality.Gate(faceSize, detection.Score, _camera.MinFaceSize, _recognition) is not null
            || !_book.MayEmbed(track.Id, frame.CaptureTimestamp))
        {
            return;
        }

        var crop = _align(frame.Image, detection);
        try
        {
            var sharpness = FaceQuality.Sharpness(crop);
            if (sharpness < _recognition.MinSharpness || !_book.ShouldEmbed(track.Id, faceSize, sharpness, frame.CaptureTimestamp))
            {
                return;
            }

            var weight = FaceQuality.Weight(faceSize, detection.Score, sharpness, _recognition);
#pragma warning disable CA2000 // the crop queue owns it now (it disposes what it drops)
            _crops.Write(new FaceCrop(_book, track.Id, crop, weight, frame.CaptureTimestamp) { Box = detection.Box });
#pragma warning restore CA2000
            crop = null; // the queue owns it now
        }
        finally
        {
            crop?.Dispose();
        }
    }

    private void Annotate(Frame frame, IReadOnlyList<TrackOverlay> overlays)
    {
        if (_sinks.Count == 0)
        {
            return;
        }

        var health = _health.Get(_camera.Name);
        foreach (var sink in _sinks)
        {
            try
            {
                sink.Post(frame, overlays, health);
            }
            catch (Exception ex) when (ex is InvalidOperationException or OpenCVException or IOException)
            {
                Log.SinkFailed(_logger, sink.GetType().Name, ex.Message);
            }
        }
    }

    private void EndTracks(IReadOnlyList<Track> ended)
    {
        var now = _time.GetTimestamp();
        foreach (var track in ended)
        {
            _book.Ended(track.Id, now);
        }
    }
}
