using FaceWatch.Commands;
using FaceWatch.Commands.Scenarios;
using FaceWatch.Hosting;
using FaceWatch.Pipeline.LiveView;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenCvSharp;
using Xunit.Abstractions;

using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Tracking;
namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// The demo clip (<c>video/short_hamilton_clip.mp4</c>, 275 frames at 29.97 fps) cuts from Lin-Manuel Miranda on stage to
/// the audience (the Obamas, others) at frame <see cref="AudienceCut"/> and stays there to its end: 7.04 s after the first
/// frame, pts 7.88 s (the video stream starts at pts 0.85 s). Issue 10:
/// after that cut no face may be drawn as <c>lin_manuel_miranda</c>; today the performer's track goes on over an
/// audience face (Barack Obama's) with his name.
/// </summary>
[Collection(RealTimeCollection.Name)]
[Trait("Category", "Slow")]
public sealed class DemoClipCutTests(ITestOutputHelper output)
{
    /// <summary>First frame of the audience shot, found by frame differencing (the other cuts: frames 20 and 82).</summary>
    public const int AudienceCut = 211;

    private const int ClipFrames = 275;
    private const string Performer = "lin_manuel_miranda";

    [Fact]
    public void Frame_differencing_finds_the_cut_to_the_audience_at_frame_211()
    {
        var (cuts, frames) = ShotCuts.Find(HamiltonFixture.Clip);

        output.WriteLine($"{frames} frames; cuts at {string.Join(", ", cuts)}");
        Assert.Equal(ClipFrames, frames);
        Assert.Equal(AudienceCut, cuts[^1]);
    }

    [Fact]
    public async Task After_the_cut_to_the_audience_no_face_is_labelled_as_the_performer()
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-demo-cut").FullName;
        try
        {
            var gallery = Path.Combine(dir, "gallery.json");
            ScenarioFixture.EnrollDemoGallery(gallery);
            // Three plays of the clip in one file, played once: three cuts to the audience, each frame numbered by the camera.
            var looped = RtspClipServer.PrepareLoop(HamiltonFixture.Clip, repeats: 3);
            var (cuts, frames) = ShotCuts.Find(looped);
            output.WriteLine($"looped file: {frames} frames, cuts at {string.Join(", ", cuts)}");
            Assert.Equal(3 * ClipFrames, frames);
            var audience = Enumerable.Range(0, 3).Select(k => (From: (k * ClipFrames) + AudienceCut, To: (k + 1) * ClipFrames)).ToArray();
            Assert.All(audience, a => Assert.Contains(a.From, cuts));

            var recorder = OverlayRecorder.BySequence();
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection([
                    new("Models:Dir", TestPaths.ModelsDir),
                    new("Gallery:Path", gallery),
                    new("Mqtt:Enabled", "false"),
                    new("Cameras:0:Name", "demo"),
                    new("Cameras:0:Source", looped),
                    new("Cameras:0:Loop", "false"),
                ])
                .Build();
            var builder = DaemonHost.CreateBuilder(configuration);
            builder.Services.AddSingleton<IFrameAnnotationSink>(recorder);
            var logs = new CollectingLoggerProvider();
            builder.Logging.AddProvider(logs);
            using var host = builder.Build();
            var ended = Task.Run(async () =>
            {
                await foreach (var _ in host.Services.GetRequiredService<FaceWatch.Pipeline.Publishing.IdentityEventHub>().Subscribe().ReadAllAsync())
                {
                }
            });
            await host.StartAsync();
            try
            {
                await ended.WaitAsync(TimeSpan.FromSeconds(60)); // the file plays once (27.5 s) and the pipeline ends
            }
            finally
            {
                await host.StopAsync();
            }

            var records = recorder.Frames;
            bool InAudience(int frame) => audience.Any(a => frame >= a.From && frame < a.To);
            var afterCut = records.Where(r => InAudience(r.Frame)).ToArray();
            output.WriteLine($"{records.Count} frames processed, {afterCut.Length} in the audience shots");

            // Sound run first: the performer is named on stage, and audience faces are tracked and drawn after the cut.
            Assert.Contains(records, r => !InAudience(r.Frame) && r.Tracks.Any(t => t.Name == Performer));
            Assert.True(afterCut.Count(r => r.Tracks.Count > 0) >= 5, "audience faces are tracked after the cut");

            var wrong = afterCut.SelectMany(r => r.Tracks.Where(t => t.Name == Performer).Select(t => (r.Frame, Track: t))).ToArray();
            foreach (var (frame, t) in wrong)
            {
                output.WriteLine($"frame {frame} (clip frame {frame % ClipFrames}): #{t.TrackId} {t.Name} ({t.Confidence:0.00}) at {t.Box.X:0},{t.Box.Y:0} {t.Box.Width:0}x{t.Box.Height:0}");
            }

            Assert.True(wrong.Length == 0,
                $"{wrong.Length} overlay labels '{Performer}' on audience faces after the cut (clip frame {AudienceCut}), tracks " +
                string.Join(", ", wrong.Select(w => $"#{w.Track.TrackId}").Distinct()) + $", first at clip frame {wrong.FirstOrDefault().Frame % ClipFrames}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>Shot changes by frame differencing: mean absolute difference of 64x36 grey thumbnails of consecutive frames.</summary>
internal static class ShotCuts
{
    public static (IReadOnlyList<int> Cuts, int Frames) Find(string video)
    {
        using var capture = new VideoCapture(video);
        Assert.True(capture.IsOpened(), $"cannot open {video}");
        var diffs = new List<double> { 0 };
        using var frame = new Mat();
        using var previous = new Mat();
        using var small = new Mat();
        using var grey = new Mat();
        using var diff = new Mat();
        var count = 0;
        while (capture.Read(frame) && !frame.Empty())
        {
            Cv2.Resize(frame, small, new Size(64, 36), 0, 0, InterpolationFlags.Area);
            Cv2.CvtColor(small, grey, ColorConversionCodes.BGR2GRAY);
            if (count > 0)
            {
                Cv2.Absdiff(grey, previous, diff);
                diffs.Add(Cv2.Mean(diff).Val0);
            }

            grey.CopyTo(previous);
            count++;
        }

        // A cut stands far above the frame-to-frame motion of its clip.
        var median = diffs.Skip(1).Order().ElementAt(diffs.Count / 2);
        var cuts = diffs.Select((d, i) => (d, i)).Where(x => x.i > 0 && x.d > Math.Max(12, 6 * median)).Select(x => x.i).ToArray();
        return (cuts, count);
    }
}
