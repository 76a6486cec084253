using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
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
        var command = new Command("pipeline", "The daemon on N RTSP streams: processed fps, drops, latency p50/p95 capture->event, CPU.");
        command.Options.Add(cameras);
        command.Options.Add(seconds);
        command.Options.Add(size);
        command.Options.Add(clip);
        command.Options.Add(gallery);
        command.SetAction((parseResult, ct) => RunAsync(
            parseResult.GetValue(CommonOptions.Config),
            Math.Max(1, parseResult.GetValue(cameras)),
            Math.Max(5, parseResult.GetValue(seconds)),
            parseResult.GetValue(size)!,
            parseResult.GetValue(clip)!,
            parseResult.GetValue(gallery)!,
            ct));
        return command;
    }

    private static async Task<int> RunAsync(string? configFile, int cameraCount, int seconds, string size, string clip, string galleryFolder, CancellationToken ct)
    {
        const int warmup = 15;
        Console.WriteLine($"Preparing the stream ({clip}, {size}) ...");
        var looped = RtspClipServer.PrepareLoop(clip, repeats: ((seconds + warmup) / 10) + 6, size == "orig" ? null : size);
        await using var server = await RtspClipServer.StartAsync(looped, cancellationToken: ct).ConfigureAwait(false);
        var galleryFile = Path.Combine(Path.GetTempPath(), $"facewatch-bench-gallery-{Environment.ProcessId}.json");
        var overrides = new List<KeyValuePair<string, string?>> { new("Gallery:Path", galleryFile), new("Mqtt:Enabled", "false") };
        for (var i = 0; i < cameraCount; i++)
        {
            overrides.Add(new($"Cameras:{i}:Name", $"cam{i}"));
            overrides.Add(new($"Cameras:{i}:Source", server.Url));
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
            GalleryStore.Save(DemoGallery.Enroll(galleryFolder, detector, embedder, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance), galleryFile);

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
                foreach (var camera in pipeline.Cameras)
                {
                    camera.Worker.Processed = ms =>
                    {
                        if (Volatile.Read(ref measuring))
                        {
                            tracked.Enqueue(ms);
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
                var before = pipeline.Cameras.Select(c => (c.Stats.Captured, c.Stats.Processed, c.Stats.Dropped, c.Stats.Skipped)).ToArray();
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
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| camera | captured fps | processed fps | dropped | skipped (DetectFps) |"));
                Console.WriteLine("|---|---|---|---|---|");
                for (var i = 0; i < pipeline.Cameras.Count; i++)
                {
                    var s = pipeline.Cameras[i].Stats;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {pipeline.Cameras[i].Options.Name} | {(s.Captured - before[i].Captured) / wall:0.0} | {(s.Processed - before[i].Processed) / wall:0.0} | {s.Dropped - before[i].Dropped} | {s.Skipped - before[i].Skipped} |"));
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
