using System.Diagnostics.Metrics;
using FaceWatch.Core.Health;
using FaceWatch.Pipeline.Detection;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Pipeline.Workers;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Xunit.Abstractions;

namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// The daemon's instruments through the production path: the real host (<see cref="DaemonHost.CreateBuilder(IConfiguration)"/>)
/// plays the demo clip once through the real models and gallery, and the numbers the meters saw must be the pipeline's own.
/// Nothing is recorded by hand.
/// </summary>
[Collection(RealTimeCollection.Name)]
[Trait("Category", "Slow")]
public sealed class DaemonMetricsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_clip_played_through_the_daemon_records_frames_events_latencies_and_crop_drops()
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-metrics").FullName;
        try
        {
            var gallery = Path.Combine(dir, "gallery.json");
            ScenarioFixture.EnrollDemoGallery(gallery);
            var configuration = new ConfigurationBuilder().AddInMemoryCollection([
                new("Models:Dir", TestPaths.ModelsDir),
                new("Gallery:Path", gallery),
                new("Mqtt:Enabled", "false"),
                new("Cameras:0:Name", "demo"),
                new("Cameras:0:Source", TestPaths.Data("video", "short_hamilton_clip.mp4")),
                new("Cameras:0:Loop", "false"),
            ]).Build();
            using var host = DaemonHost.CreateBuilder(configuration).Build();
            var meters = host.Services.GetRequiredService<IMeterFactory>();
            using var processed = new MetricCollector<long>(meters, FaceWatchMetrics.MeterName, "facewatch.frames.processed");
            using var events = new MetricCollector<long>(meters, FaceWatchMetrics.MeterName, "facewatch.events");
            using var latency = new MetricCollector<double>(meters, FaceWatchMetrics.MeterName, "facewatch.frame.latency");
            using var identification = new MetricCollector<double>(meters, FaceWatchMetrics.MeterName, "facewatch.identification.duration");
            using var cropsDropped = new MetricCollector<long>(meters, FaceWatchMetrics.MeterName, "facewatch.crops.dropped");
            using var detection = new MetricCollector<double>(meters, DetectionMetrics.MeterName, "facewatch.detection.duration");
            var published = new List<IdentityEvent>();
            var ended = Task.Run(async () =>
            {
                await foreach (var e in host.Services.GetRequiredService<IdentityEventHub>().Subscribe().ReadAllAsync())
                {
                    published.Add(e);
                }
            });

            await host.StartAsync();
            try
            {
                await ended.WaitAsync(TimeSpan.FromSeconds(90)); // the clip plays once (9 s) and the pipeline ends
            }
            finally
            {
                await host.StopAsync();
            }

            var pipeline = host.Services.GetRequiredService<FaceWatchPipeline>();
            var camera = Assert.Single(pipeline.Cameras);
            processed.RecordObservableInstruments();
            cropsDropped.RecordObservableInstruments();
            var frames = latency.GetMeasurementSnapshot();
            output.WriteLine($"{camera.Stats.Processed} frames processed, {published.Count} events, {frames.Count} frames with faces identified " +
                             $"(latency median {frames.Select(m => m.Value).Order().ElementAtOrDefault(frames.Count / 2):0} ms), " +
                             $"{identification.GetMeasurementSnapshot().Count} identifications, {pipeline.CropsDropped} crops dropped");

            // frames through detection, per camera, as the camera's own counter says
            Assert.True(camera.Stats.Processed > 50, $"only {camera.Stats.Processed} frames processed");
            Assert.Equal(camera.Stats.Processed, processed.LastMeasurement!.Value);
            Assert.Equal("demo", processed.LastMeasurement.Tags["camera"]);

            // every published event counted once, by type and camera
            Assert.Contains(published, e => e.Event == IdentityEventKind.Arrived);
            var counted = events.GetMeasurementSnapshot();
            Assert.Equal(published.Count, counted.Sum(m => m.Value));
            foreach (var kind in published.GroupBy(e => e.Event))
            {
                Assert.Equal(kind.Count(), counted.Where(m => (string?)m.Tags["type"] == kind.Key && (string?)m.Tags["camera"] == "demo").Sum(m => m.Value));
            }

            // capture to identified, once per frame whose faces were embedded; each face's identification timed
            Assert.NotEmpty(frames);
            Assert.All(frames, m => Assert.InRange(m.Value, 0.001, 10_000));
            Assert.All(frames, m => Assert.Equal("demo", m.Tags["camera"]));
            Assert.True(frames.Count <= pipeline.Embedding.Faces, "at most one latency per embedded face");
            Assert.InRange(identification.GetMeasurementSnapshot().Count, frames.Count, pipeline.Embedding.Faces);

            // crop drops exported as the pipeline counts them; the detector's own meter saw every call
            Assert.Equal(pipeline.CropsDropped, cropsDropped.LastMeasurement!.Value);
            Assert.True(detection.GetMeasurementSnapshot().Count > 0, "facewatch.detection.duration recorded");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
