using System.Diagnostics;
using System.Globalization;
using FaceWatch.Hosting;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Workers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Commands.Scenarios;

/// <summary>How a scenario is played: its gallery, the base configuration, RTSP or a file camera, extra settings and services.</summary>
public sealed record ScenarioPlayOptions
{
    public required string GalleryPath { get; init; }

    /// <summary>Settings under the run's own (models folder, a config file); null: none.</summary>
    public IConfiguration? Configuration { get; init; }

    /// <summary>Serve the video over the real RTSP test server (else it is a file camera played once).</summary>
    public bool Rtsp { get; init; }

    /// <summary>Settings over everything (e.g. <c>Mqtt:Host</c>); without any <c>Mqtt:</c> key MQTT is off.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Last say over the host (logging providers, services).</summary>
    public Action<HostApplicationBuilder>? Configure { get; init; }
}

/// <summary>
/// What a run saw: every overlay frame, every identity event from the hub, and faces the embedder embedded. Events of
/// tracks first seen after <see cref="ReplayedAt"/> (the video starting over) are left out.
/// </summary>
public sealed record ScenarioRun(
    ScenarioTruth Truth, IReadOnlyList<FrameRecord> Frames, IReadOnlyList<IdentityEvent> Events, long EmbeddedFaces, int UnreadableFrames, DateTimeOffset? ReplayedAt, TimeSpan Wall)
{
    /// <summary>Every face the embedding worker identified (each single embedding's answer), in the order they were made.</summary>
    public IReadOnlyList<EmbeddingObservation> Observations { get; init; } = [];

    /// <summary>Embeddings per second per face on screen (the pipeline's embedded-faces counter over face-seconds of the truth).</summary>
    public double EmbeddingsPerFaceSecond => EmbeddedFaces / Math.Max(1e-9, Truth.Segments.Sum(s => s.Seconds));
}

/// <summary>
/// Plays one scenario through the real daemon (<see cref="DaemonHost"/>: capture, detection, tracking, embedding, track
/// book, event hub) with an <see cref="OverlayRecorder"/> registered as an <see cref="IFrameAnnotationSink"/>, and a
/// subscriber on the <see cref="IdentityEventHub"/>. Ends when the video's empty tail has been processed.
/// </summary>
public static class ScenarioPlayer
{
    public static async Task<ScenarioRun> PlayAsync(ScenarioTruth truth, ScenarioPlayOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(options);
        RtspClipServer? server = null;
        try
        {
            var camera = new Dictionary<string, string?>
            {
                ["Gallery:Path"] = options.GalleryPath,
                ["Cameras:0:Name"] = truth.Name,
            };
            if (options.Rtsp)
            {
                server = await RtspClipServer.StartAsync(truth.VideoPath, cancellationToken: ct).ConfigureAwait(false);
                camera["Cameras:0:Source"] = server.Url;
                // Known size: no ffprobe connection ahead of the reader's (each RTSP client gets the video from its start).
                camera["Cameras:0:Width"] = truth.Width.ToString(CultureInfo.InvariantCulture);
                camera["Cameras:0:Height"] = truth.Height.ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                camera["Cameras:0:Source"] = truth.VideoPath;
                camera["Cameras:0:Loop"] = "false";
            }

            // The frame-number strip changes every frame, as a camera's clock overlay does: masked from motion, as users mask those.
            var (mx, my, mw, mh) = FrameStamp.MotionMask(truth.Width, truth.Height);
            camera["Cameras:0:MotionMasks:0:X"] = mx.ToString(CultureInfo.InvariantCulture);
            camera["Cameras:0:MotionMasks:0:Y"] = my.ToString(CultureInfo.InvariantCulture);
            camera["Cameras:0:MotionMasks:0:Width"] = mw.ToString(CultureInfo.InvariantCulture);
            camera["Cameras:0:MotionMasks:0:Height"] = mh.ToString(CultureInfo.InvariantCulture);

            if (!options.Settings.Keys.Any(k => k.StartsWith("Mqtt:", StringComparison.OrdinalIgnoreCase)))
            {
                camera["Mqtt:Enabled"] = "false";
            }

            var builder = new ConfigurationBuilder();
            if (options.Configuration is not null)
            {
                builder.AddConfiguration(options.Configuration);
            }

            var configuration = builder.AddInMemoryCollection(camera).AddInMemoryCollection(options.Settings).Build();
            var hostBuilder = DaemonHost.CreateBuilder(configuration);
            var recorder = OverlayRecorder.Stamped();
            hostBuilder.Services.AddSingleton<IFrameAnnotationSink>(recorder);
            options.Configure?.Invoke(hostBuilder);
            using var host = hostBuilder.Build();
            var reader = host.Services.GetRequiredService<IdentityEventHub>().Subscribe();
            var events = new List<IdentityEvent>();
            var ended = Task.Run(async () =>
            {
                await foreach (var e in reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    lock (events)
                    {
                        events.Add(e);
                    }
                }
            }, CancellationToken.None);

            var clock = Stopwatch.StartNew();
            long embedded;
            var observations = new List<EmbeddingObservation>();
            await host.StartAsync(ct).ConfigureAwait(false);
            // Set after start (the pipeline exists from then on); every scenario opens with a second of empty scene, so no face is missed.
            if (host.Services.GetRequiredService<PipelineService>().Pipeline is { } pipeline)
            {
                pipeline.Embedding.Observed = o =>
                {
                    lock (observations)
                    {
                        observations.Add(o);
                    }
                };
            }

            try
            {
                // Half a second into the empty tail (the last frames of an RTSP stream may never arrive), the video starting
                // over (RTSP reconnect), the pipeline ending by itself (a file played once), or far too long.
                var tailStart = truth.Segments.Max(s => s.LastFrame) + 1;
                var enough = Math.Min(truth.FrameCount - 1, tailStart + (int)Math.Round(truth.Fps / 2));
                var deadline = TimeSpan.FromSeconds((truth.Seconds * 2) + 45);
                while (recorder.LastFrame < enough && recorder.ReplayedAt is null && !ended.IsCompleted && clock.Elapsed < deadline)
                {
                    await Task.Delay(100, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
                embedded = host.Services.GetRequiredService<PipelineService>().Pipeline?.Embedding.Faces ?? 0;
            }

            await ended.WaitAsync(TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
            IdentityEvent[] all;
            lock (events)
            {
                // Tracks begun on a replay of the video are not part of this run (their "left" at the stop included).
                all = [.. events.Where(e => recorder.ReplayedAt is not { } replay || e.FirstSeen < replay)];
            }

            EmbeddingObservation[] seen;
            lock (observations)
            {
                seen = [.. observations];
            }

            return new ScenarioRun(truth, recorder.Frames, all, embedded, recorder.Unreadable, recorder.ReplayedAt, clock.Elapsed) { Observations = seen };
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
