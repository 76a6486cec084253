using System.Globalization;
using FaceWatch.Configuration;
using FaceWatch.Core.Configuration;
using FaceWatch.Core.Health;
using FaceWatch.Hosting;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FaceWatch.Commands;

/// <summary>What <c>enroll --camera NAME --name PERSON</c> was given.</summary>
internal sealed record CameraEnrollArguments(string? ConfigFile, string Camera, string Person, double Seconds, int MaxFaces, string? Gallery);

/// <summary>
/// <c>facewatch enroll --camera NAME --name PERSON</c>: opens a camera of the daemon's configuration with the daemon's own
/// capture code (<see cref="CameraReader"/>: ffmpeg for URLs, reconnects, stall watchdog, passwords never printed), feeds
/// its frames for N seconds to a <see cref="CameraEnroller"/>, shows progress once a second, and adds the best varied
/// faces to the gallery file (atomic; a running daemon reloads it). Refuses, leaving the gallery as it was, when nobody
/// or several people were in view, too few usable faces were seen, or the faces are not the person named.
/// </summary>
internal static class CameraEnrollVerb
{
    public const double MinSeconds = 1;

    public const double MaxSeconds = 120;

    public const double DefaultSeconds = 10;

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(CameraEnrollArguments args, CancellationToken ct)
    {
        PersonName.ThrowIfInvalid(args.Person);
        if (!double.IsFinite(args.Seconds) || args.Seconds < MinSeconds || args.Seconds > MaxSeconds)
        {
            throw new InvalidDataException(FormattableString.Invariant($"--seconds {args.Seconds} is outside {MinSeconds}..{MaxSeconds}."));
        }

        if (args.MaxFaces < CameraEnrollment.MinFaces || args.MaxFaces > CameraEnrollment.MaxMaxFaces)
        {
            throw new InvalidDataException($"--max-faces {args.MaxFaces} is outside {CameraEnrollment.MinFaces}..{CameraEnrollment.MaxMaxFaces}.");
        }

        var config = FaceWatchConfiguration.Build(args.ConfigFile);
        var camera = FindCamera(config, args.Camera, args.ConfigFile);
        var capture = Validated(FaceTools.Bind<CaptureOptions>(config, CaptureOptions.SectionName), new CaptureOptionsValidator());
        var recognition = Validated(FaceTools.Bind<RecognitionOptions>(config, RecognitionOptions.SectionName), new RecognitionOptionsValidator());
        using var tools = FaceTools.Create(config, needDetector: true);
        var path = tools.GalleryPath(args.Gallery);

        // As enroll --add: the gallery must already exist (enroll DIR makes it) and be writable, checked before the camera opens.
        GalleryStore.CheckWritable(path);
        _ = tools.LoadGallery(args.Gallery);

        var request = new CameraEnrollmentRequest(camera.Name, args.Person, args.Seconds, camera.MinFaceSize) { MaxFaces = args.MaxFaces };
        var size = tools.Embedder.InputSize;
        var enroller = new CameraEnroller(tools.Detector, (image, face) => FaceAligner.Align(image, face.Landmarks, size), tools.Embedder, recognition, request);
        await CollectAsync(camera, capture, enroller, ct).ConfigureAwait(false);

        var picked = enroller.Picked();
        if (CameraEnrollment.Refusal(request, enroller.Tally, picked.Count) is { } refusal)
        {
            throw new InvalidDataException(refusal);
        }

        // Read again: the daemon may have changed the file (a stranger named, a match rejected) while the camera ran.
        var gallery = tools.LoadGallery(args.Gallery);
        var check = CameraEnrollment.CheckAgainst(gallery, args.Person, [.. picked.Select(c => new EnrolledFace(c.Source, c.Embedding))], camera.Name);
        if (check.Refusal is { } mismatch)
        {
            throw new InvalidDataException(mismatch);
        }

        foreach (var s in check.LeftOut)
        {
            VerbConsole.Warn($"'{s.Face.Source}' left out: {s.Reason}.");
        }

        var existing = gallery.People.FirstOrDefault(p => p.Name == args.Person)?.Faces.Count ?? 0;
        var updated = gallery.WithFaces(args.Person, check.Kept, TimeProvider.System.GetUtcNow());
        GalleryStore.Save(updated, path);
        Console.WriteLine(
            $"{(existing == 0 ? "Enrolled" : "Added to")} {VerbConsole.Safe(args.Person)} at camera '{camera.Name}': {check.Kept.Count} faces " +
            $"(of {enroller.Tally.Usable} usable in {enroller.Tally.Frames} frames; each differs from the others, similarity <= {CameraEnrollment.MaxSimilarity:0.00})" +
            (existing == 0 ? "." : $", {existing + check.Kept.Count} in all."));
        Console.WriteLine(EnrollCommand.Describe(updated, path));
        return 0;
    }

    /// <summary>The camera named <paramref name="name"/> in <c>Cameras</c>, bound and validated as the daemon does it.</summary>
    internal static CameraOptions FindCamera(IConfiguration config, string name, string? configFile)
    {
        var cameras = new CamerasOptions();
        StrictBinder.BindList(config, CamerasOptions.SectionName, cameras.Items);
        Validated(cameras, new CamerasOptionsValidator());
        var where = configFile is null ? "the configuration (no --config file given)" : $"'{configFile}'";
        if (cameras.Items.Count == 0)
        {
            throw new InvalidDataException(
                $"camera '{name}' is not configured: {where} has no cameras (Cameras:0:Name and Cameras:0:Source, as the daemon reads them).");
        }

        return cameras.Items.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal))
            ?? cameras.Items.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidDataException(
                $"camera '{VerbConsole.Safe(name)}' is not configured in {where}; the configured cameras are: {string.Join(", ", cameras.Items.Select(c => $"'{c.Name}'"))}.");
    }

    private static T Validated<T>(T options, IValidateOptions<T> validator)
        where T : class
    {
        var result = validator.Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(typeof(T).Name, typeof(T), result.Failures) : options;
    }

    /// <summary>
    /// Runs the camera until <see cref="CameraEnrollmentRequest.Seconds"/> have passed since its first frame, looking at
    /// frames at most at the camera's <c>DetectFps</c> (newest frame wins, as in the daemon; so at most 60 x 120 frames).
    /// </summary>
    private static async Task CollectAsync(CameraOptions camera, CaptureOptions capture, CameraEnroller enroller, CancellationToken ct)
    {
        var time = TimeProvider.System;
        var health = new CameraHealthRegistry();
        var stats = new CameraStats();
        using var queue = new DropOldestQueue<Frame>(1, singleWriter: true, f =>
        {
            stats.OnDropped();
            f.Dispose();
        });
        var factory = new FrameSourceFactory(Options.Create(capture), time, NullLoggerFactory.Instance);
        var reader = new CameraReader(camera, capture, factory, queue, stats, health, time, NullLogger.Instance);
        var window = TimeSpan.FromSeconds(enroller.Request.Seconds);
        // Opening may take ffprobe's time-out and then a stall's worth before the first frame (CameraReader's own limit).
        var openLimit = TimeSpan.FromSeconds(capture.ProbeTimeoutSeconds + camera.StallSeconds);
        var pace = TimeSpan.FromSeconds(1 / camera.DetectFps);
        var started = time.GetTimestamp();
        long? first = null;
        long? lastLooked = null;
        var lastReport = started;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reading = reader.RunAsync(stop.Token);
        try
        {
            while (true)
            {
                var elapsed = time.GetElapsedTime(first ?? started);
                var limit = first is null ? openLimit : window;
                if (elapsed >= limit)
                {
                    break;
                }

                var frame = await NextAsync(queue, Min(limit - elapsed, ProgressInterval), ct).ConfigureAwait(false);
                if (frame is null && queue.Reader.Completion.IsCompleted)
                {
                    break; // a file that played to its end
                }

                using (frame)
                {
                    if (frame is not null && (lastLooked is null || time.GetElapsedTime(lastLooked.Value) >= pace))
                    {
                        first ??= frame.CaptureTimestamp;
                        lastLooked = time.GetTimestamp();
                        enroller.Observe(frame.Image, FormattableString.Invariant($"camera:{camera.Name}#{frame.Sequence}"));
                        stats.OnProcessed();
                    }
                }

                if (time.GetElapsedTime(lastReport) >= ProgressInterval)
                {
                    lastReport = time.GetTimestamp();
                    Report(enroller, first is null ? null : time.GetElapsedTime(first.Value), health.Get(camera.Name));
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await reading.ConfigureAwait(false);
            while (queue.Reader.TryRead(out var left))
            {
                left.Dispose();
            }
        }

        if (first is null)
        {
            ct.ThrowIfCancellationRequested();
            var error = health.Get(camera.Name)?.LastError;
            var busy = SourceClassifier.Classify(camera.Source) == SourceKind.Device
                ? " A USB camera the daemon is reading is busy: stop the daemon while enrolling (a network camera can be opened twice)."
                : "";
            throw new IOException(
                $"camera '{camera.Name}' gave no frame within {openLimit.TotalSeconds:0.#} s{(error is null ? "" : $" ({error})")}; {enroller.Request.Person} is not enrolled.{busy}");
        }

        Report(enroller, Min(time.GetElapsedTime(first.Value), window), health.Get(camera.Name));
    }

    private static async Task<Frame?> NextAsync(DropOldestQueue<Frame> queue, TimeSpan timeout, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(timeout);
        try
        {
            return await queue.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false) && queue.Reader.TryRead(out var frame) ? frame : null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>One line a second on stderr: <c>door: 4.0/10 s, 37 frames, 1 face in 35, picked 6</c>.</summary>
    private static void Report(CameraEnroller enroller, TimeSpan? elapsed, CameraHealth? health)
    {
        var r = enroller.Request;
        if (elapsed is null)
        {
            Console.Error.WriteLine($"{r.Camera}: waiting for the first frame{(health?.LastError is { } e ? $" ({e})" : "")}");
            return;
        }

        var t = enroller.Tally;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{r.Camera}: {elapsed.Value.TotalSeconds:0.0}/{r.Seconds:0.#} s, {t.Frames} frames, 1 face in {t.OneFace}, {(t.SeveralFaces > 0 ? $"several in {t.SeveralFaces}, " : "")}picked {enroller.Picked().Count}"));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
