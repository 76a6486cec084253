using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceWatch.Commands.Scenarios;
using FaceWatch.Configuration;
using FaceWatch.Hosting;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Commands;

/// <summary>
/// <c>facewatch bench pipeline</c>: the whole daemon on N copies of a real RTSP stream of the demo clip (served by
/// the GStreamer RTSP server script), measuring per-camera processed fps and dropped frames, latency from frame capture
/// to tracked / identified / event, and CPU use (the daemon plus its ffmpeg readers).
/// </summary>
internal static class PipelineBenchCommand
{
    /// <summary>Resident memory is sampled this often through the measured window (the soak line).</summary>
    private static readonly TimeSpan SoakInterval = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var cameras = new Option<int>("--cameras") { Description = "How many cameras (copies of the stream).", DefaultValueFactory = _ => 4 };
        var seconds = new Option<int>("--seconds") { Description = "Measured seconds (after a 15 s warm-up).", DefaultValueFactory = _ => 60 };
        var size = new Option<string>("--size") { Description = "Stream frame size WxH (the clip is scaled once with ffmpeg); 'orig' for 640x360.", DefaultValueFactory = _ => "1280x720" };
        var clip = new Option<string>("--clip") { Description = "Video to stream.", DefaultValueFactory = _ => "demo/short_hamilton_clip.mp4" };
        var gallery = new Option<string>("--gallery") { Description = "Folder of person/*.jpg enrolled before the run.", DefaultValueFactory = _ => "demo/gallery" };
        var gating = new Option<string>("--gating") { Description = "Gated detection on, off (a full scan every frame), or both (off then on, same stream, one after the other).", DefaultValueFactory = _ => "both" };
        gating.AcceptOnlyFromAmong("on", "off", "both");
        var detectFps = new Option<double>("--detect-fps") { Description = "Cameras:N:DetectFps of every camera (the stream runs at 15).", DefaultValueFactory = _ => 15 };
        var scene = new Option<string?>("--scene")
        {
            Description = $"Stream a scenario set's video with its gallery instead of --clip/--gallery/--size ({FixedCameraCatalog.Name}: docs/scenarios.md; built from ../shared/data when missing; {IdleScene}: its first empty stretch only, looped: an idle camera).",
        };
        scene.AcceptOnlyFromAmong([.. FixedCameraCatalog.Names, IdleScene]);
        var command = new Command("pipeline", "The daemon on N RTSP streams: processed fps, drops, latency p50/p95 capture->event, CPU.");
        command.Options.Add(cameras);
        command.Options.Add(seconds);
        command.Options.Add(size);
        command.Options.Add(clip);
        command.Options.Add(gallery);
        command.Options.Add(gating);
        command.Options.Add(detectFps);
        command.Options.Add(scene);
        command.SetAction((parseResult, ct) => RunAsync(
            parseResult.GetValue(CommonOptions.Config),
            Math.Max(1, parseResult.GetValue(cameras)),
            Math.Max(5, parseResult.GetValue(seconds)),
            parseResult.GetValue(size)!,
            parseResult.GetValue(clip)!,
            parseResult.GetValue(gallery)!,
            parseResult.GetValue(gating)!,
            parseResult.GetValue(detectFps),
            parseResult.GetValue(scene),
            ct));
        return command;
    }

    private const int Warmup = 15;

    /// <summary>The fixed-camera scene's first stretch with nobody in view, looped: what an idle camera costs (docs/gating.md).</summary>
    private const string IdleScene = "idle";

    private static async Task<int> RunAsync(
        string? configFile, int cameraCount, int seconds, string size, string clip, string galleryFolder, string gating, double detectFps, string? scene, CancellationToken ct)
    {
        var runs = gating == "both" ? new[] { false, true } : [gating == "on"];
        var idle = scene == IdleScene;
        scene = idle ? FixedCameraCatalog.Name : scene;
        // A scenario set's video streams as rendered (its own size, rate and frame stamp), looped like the clip; its gallery is copied in below.
        var set = scene is null ? null : await ScenarioBench.LoadSetAsync(FaceWatchConfiguration.Build(configFile), (detector, embedder) =>
            FixedCameraSetBuilder.LoadOrBuildAsync("../shared/data", FixedCameraSetBuilder.DefaultDir, detector, embedder, step => Console.WriteLine($"building {scene}: {step} ..."), ct)).ConfigureAwait(false);
        var truth = set?[scene!];
        Console.WriteLine(truth is null ? $"Preparing the stream ({clip}, {size}) ..."
            : string.Create(CultureInfo.InvariantCulture, $"Preparing the stream (scene {truth.Name}: {truth.VideoPath}, {truth.Width}x{truth.Height}, {truth.Seconds:0.0} s, {truth.Idle.Count} idle stretches of 8+ s = {100 * truth.Idle.Sum(i => i.End - i.Start) / truth.Seconds:0} %; gallery {set!.GalleryPath}) ..."));
        // Idle: the first empty stretch, less a second at its end (the first visitor's head comes in before its segment starts).
        var take = idle && truth!.Idle.Count > 0 && truth.Idle[0].Start == 0 ? truth.Idle[0].End - 1 : (double?)null;
        if (idle && take is null)
        {
            Console.Error.WriteLine($"The {FixedCameraCatalog.Name} scene does not start with an empty stretch.");
            return 1;
        }

        if (take is { } t)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Idle camera: the first {t:0.0} s of the scene (nobody in view), looped."));
        }

        var looped = truth is null
            // At 15 fps, as CCTV streams (and the DetectFps targets) are; the demo clip itself is 29.97.
            ? RtspClipServer.PrepareLoop(clip, repeats: (runs.Length * (seconds + Warmup + 5) / 10) + 6, size == "orig" ? null : size, fps: 15)
            : RtspClipServer.PrepareLoop(truth.VideoPath, repeats: (int)Math.Ceiling(((runs.Length * (seconds + Warmup + 5)) + 60) / (take ?? truth.Seconds)), seconds: take);
        await using var server = await RtspClipServer.StartAsync(looped, cancellationToken: ct).ConfigureAwait(false);
        foreach (var gated in runs)
        {
            Console.WriteLine();
            Console.WriteLine(gated ? "## Gating on (motion and track regions, periodic full scans)" : "## Gating off (a full scan every frame)");
            var rc = await RunOnceAsync(configFile, cameraCount, seconds, galleryFolder, set?.GalleryPath, truth is null ? null : (truth.Width, truth.Height), server, gated, detectFps, ct).ConfigureAwait(false);
            if (rc != 0)
            {
                return rc;
            }
        }

        return 0;
    }

    /// <param name="stamp">A scenario video's frame size: its frame-number strip is masked from motion.</param>
    /// <param name="enrolledGallery">A scenario set's gallery file, used as it is; null: <paramref name="galleryFolder"/> is enrolled.</param>
    private static async Task<int> RunOnceAsync(
        string? configFile, int cameraCount, int seconds, string galleryFolder, string? enrolledGallery, (int Width, int Height)? stamp, RtspClipServer server, bool gated, double detectFps, CancellationToken ct)
    {
        const int warmup = Warmup;
        var galleryFile = Path.Combine(Path.GetTempPath(), $"facewatch-bench-gallery-{Environment.ProcessId}.json");
        var overrides = new List<KeyValuePair<string, string?>>
        {
            new("Gallery:Path", galleryFile), new("Mqtt:Enabled", "false"), new("Gating:Enabled", gated ? "true" : "false"),
        };
        for (var i = 0; i < cameraCount; i++)
        {
            overrides.Add(new($"Cameras:{i}:Name", $"cam{i}"));
            overrides.Add(new($"Cameras:{i}:Source", server.Url));
            overrides.Add(new($"Cameras:{i}:DetectFps", detectFps.ToString(CultureInfo.InvariantCulture)));
            if (stamp is { } size)
            {
                // A scenario video's frame-number strip changes every frame, like a camera's clock overlay: masked.
                var (x, y, w, h) = FrameStamp.MotionMask(size.Width, size.Height);
                overrides.Add(new($"Cameras:{i}:MotionMasks:0:X", x.ToString(CultureInfo.InvariantCulture)));
                overrides.Add(new($"Cameras:{i}:MotionMasks:0:Y", y.ToString(CultureInfo.InvariantCulture)));
                overrides.Add(new($"Cameras:{i}:MotionMasks:0:Width", w.ToString(CultureInfo.InvariantCulture)));
                overrides.Add(new($"Cameras:{i}:MotionMasks:0:Height", h.ToString(CultureInfo.InvariantCulture)));
            }
        }

        var configuration = new ConfigurationBuilder()
            .AddConfiguration(FaceWatchConfiguration.Build(configFile))
            .AddInMemoryCollection(overrides)
            .Build();
        var builder = DaemonHost.CreateBuilder(configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        using var host = builder.Build();
        try
        {
            // Enroll with the host's own detector and embedder (the same shared sessions the pipeline uses).
            var detector = host.Services.GetRequiredService<IFaceDetector>();
            var embedder = host.Services.GetRequiredService<IFaceEmbedder>();
            if (enrolledGallery is not null)
            {
                File.Copy(enrolledGallery, galleryFile, overwrite: true);
            }
            else
            {
                GalleryStore.Save(DemoGallery.Enroll(galleryFolder, detector, embedder, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance), galleryFile);
            }

            var events = host.Services.GetRequiredService<IdentityEventHub>().Subscribe();
            var eventLatencies = new ConcurrentQueue<double>();
            var eventCount = 0;
            var measuring = false;
            _ = Task.Run(async () =>
            {
                await foreach (var e in events.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    if (Volatile.Read(ref measuring) && e.Event != IdentityEventKind.Left)
                    {
                        eventLatencies.Enqueue(e.LatencyMs);
                        Interlocked.Increment(ref eventCount);
                    }
                }
            }, CancellationToken.None);

            try
            {
                await host.StartAsync(ct).ConfigureAwait(false);
                var pipeline = host.Services.GetRequiredService<PipelineService>().Pipeline!;
                var tracked = new ConcurrentQueue<double>();
                var identified = new ConcurrentQueue<double>();
                var scans = new ConcurrentDictionary<string, (int Frames, double Ms, double Share)>();
                foreach (var camera in pipeline.Cameras)
                {
                    var worker = camera.Worker;
                    worker.Processed = ms =>
                    {
                        if (Volatile.Read(ref measuring))
                        {
                            tracked.Enqueue(ms);
                            if (worker.Processor.LastDetection is { } d)
                            {
                                var key = d.Plan.Kind == ScanKind.Full ? $"full ({d.Plan.Reason})" : d.Plan.Kind == ScanKind.Regions ? $"regions ({d.Plan.Reason})" : $"none ({d.Plan.Reason})";
                                scans.AddOrUpdate(key, (1, d.Milliseconds, d.Plan.Share), (_, v) => (v.Frames + 1, v.Ms + d.Milliseconds, v.Share + d.Plan.Share));
                            }
                        }
                    };
                }

                pipeline.Embedding.Identified = (_, ms) =>
                {
                    if (Volatile.Read(ref measuring))
                    {
                        identified.Enqueue(ms);
                    }
                };

                Console.WriteLine($"{cameraCount} camera(s) on {server.Url}; warming up {warmup} s, then measuring {seconds} s ...");
                await Task.Delay(TimeSpan.FromSeconds(warmup), ct).ConfigureAwait(false);
                var before = pipeline.Cameras.Select(c => (c.Stats.Captured, c.Stats.Processed, c.Stats.Dropped, c.Stats.Skipped, c.Stats.StillFrames, c.Stats.FullScans, c.Stats.RegionScans, c.Stats.RegionsTotal, c.Stats.DetectorMsTotal)).ToArray();
                var faces0 = pipeline.Embedding.Faces;
                var batches0 = pipeline.Embedding.Batches;
                var cpu0 = CpuSeconds();
                await using var memory = BenchMemory.Start(SoakInterval);
                var clock = Stopwatch.StartNew();
                Volatile.Write(ref measuring, true);
                await Task.Delay(TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false);
                Volatile.Write(ref measuring, false);
                var wall = clock.Elapsed.TotalSeconds;
                var cpu = CpuSeconds();
                var rss = await memory.StopAsync().ConfigureAwait(false);

                Console.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| camera | captured fps | processed fps | dropped | skipped (DetectFps) | full scans | region scans | still (no detection) | regions/frame | detector ms/frame | motion share |"));
                Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
                for (var i = 0; i < pipeline.Cameras.Count; i++)
                {
                    var s = pipeline.Cameras[i].Stats;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {pipeline.Cameras[i].Options.Name} | {(s.Captured - before[i].Captured) / wall:0.0} | {(s.Processed - before[i].Processed) / wall:0.0} | {s.Dropped - before[i].Dropped} | {s.Skipped - before[i].Skipped} | {s.FullScans - before[i].FullScans} | {s.RegionScans - before[i].RegionScans} | {s.StillFrames - before[i].StillFrames} | {(double)(s.RegionsTotal - before[i].RegionsTotal) / Math.Max(1, s.Processed - before[i].Processed):0.00} | {(s.DetectorMsTotal - before[i].DetectorMsTotal) / Math.Max(1, s.Processed - before[i].Processed):0.0} | {s.MotionShare:P1} |"));
                }

                Console.WriteLine();
                Console.WriteLine("| scan (all cameras) | frames | detector ms/frame | share of frame searched |");
                Console.WriteLine("|---|---|---|---|");
                foreach (var (key, v) in scans.OrderByDescending(kv => kv.Value.Frames))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {key} | {v.Frames} | {v.Ms / v.Frames:0.0} | {v.Share / v.Frames:P0} |"));
                }

                Console.WriteLine();
                var faces = pipeline.Embedding.Faces - faces0;
                var batches = Math.Max(1, pipeline.Embedding.Batches - batches0);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"faces embedded: {faces} in {batches} batches ({(double)faces / batches:0.00} per batch); crops dropped: {pipeline.CropsDropped}"));
                Console.WriteLine($"latency capture -> tracked    {Describe(tracked)}");
                Console.WriteLine($"latency capture -> identified {Describe(identified)}");
                Console.WriteLine($"latency capture -> event      {Describe(eventLatencies)} ({eventCount} arrived/changed events)");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"memory: resident {rss[0]:0} MB after warm-up, {rss[^1]:0} MB at the end, peak {BenchMemory.Resident().Peak:0} MB (daemon process, /proc/self/status)"));
                Console.WriteLine(BenchMemory.DescribeSoak(rss, SoakInterval));
                Console.WriteLine(BenchMemory.DescribeManaged());
                if (BenchMemory.DescribeNativeHeap() is { } nativeHeap)
                {
                    Console.WriteLine(nativeHeap);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"CPU: daemon {cpu.Daemon - cpu0.Daemon:0.0} s + ffmpeg {cpu.Ffmpeg - cpu0.Ffmpeg:0.0} s over {wall:0.0} s = {100 * ((cpu.Daemon - cpu0.Daemon) + (cpu.Ffmpeg - cpu0.Ffmpeg)) / wall / Environment.ProcessorCount:0}% of {Environment.ProcessorCount} cores"));
                return 0;
            }
            finally
            {
                // Also when cancelled (Ctrl+C) or failing: stop the pipeline's threads before the host disposes the sessions they use.
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            File.Delete(galleryFile);
        }
    }

    private static string Describe(ConcurrentQueue<double> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0)
        {
            return "no samples";
        }

        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(q * (sorted.Length - 1)))];
        return string.Create(CultureInfo.InvariantCulture, $"p50 {At(0.5):0} ms, p95 {At(0.95):0} ms, max {sorted[^1]:0} ms (n={sorted.Length})");
    }

    /// <summary>CPU seconds of this process and of its ffmpeg children (from /proc on Linux).</summary>
    private static (double Daemon, double Ffmpeg) CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        var daemon = self.TotalProcessorTime.TotalSeconds;
        var ffmpeg = 0.0;
        foreach (var p in Process.GetProcessesByName("ffmpeg"))
        {
            using (p)
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{p.Id}/stat");
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (int.Parse(fields[1], CultureInfo.InvariantCulture) == Environment.ProcessId)
                    {
                        ffmpeg += p.TotalProcessorTime.TotalSeconds;
                    }
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException)
                {
                    // Exited meanwhile.
                }
            }
        }

        return (daemon, ffmpeg);
    }
}
