using System.Globalization;
using System.Text.Json;
using FaceWatch.Commands.Scenarios;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FaceWatch.Tests.EndToEnd;

/// <summary>
/// One scenario video through the real daemon over RTSP, publishing to a real mosquitto: the run is checked to be sound
/// (frames read, stamps readable), and the events judged are those that arrived over MQTT, checked to be the daemon's.
/// </summary>
internal static class MqttScenarioRun
{
    public static async Task<(ScenarioRun Run, List<IdentityEvent> Events)> PlayAsync(
        ScenarioTruth truth, string galleryPath, int mqttPort, string clientPrefix, ITestOutputHelper output)
    {
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(mqttPort, $"facewatch/{truth.Name}/events");
        var logs = new CollectingLoggerProvider();
        var run = await ScenarioPlayer.PlayAsync(truth, new ScenarioPlayOptions
        {
            GalleryPath = galleryPath,
            Configuration = ScenarioFixture.BaseConfiguration(),
            Rtsp = true,
            Settings = new Dictionary<string, string?>
            {
                ["Mqtt:Host"] = "127.0.0.1",
                ["Mqtt:Port"] = mqttPort.ToString(CultureInfo.InvariantCulture),
                ["Mqtt:ClientId"] = clientPrefix + Guid.NewGuid().ToString("N")[..8],
                ["Mqtt:ReconnectMinDelaySeconds"] = "0.2",
            },
            Configure = b => b.Logging.AddProvider(logs),
        }, CancellationToken.None);

        // The run itself must be sound before its answers are judged: the stream was read and stamped frames processed.
        output.WriteLine($"{truth.Name}: {run.Frames.Count} frames processed{(run.ReplayedAt is null ? "" : " (stopped as the stream started over)")} ({run.UnreadableFrames} without a readable stamp), {run.Events.Count} events, {run.Observations.Count} faces identified, {run.EmbeddedFaces} embedded in {run.Wall.TotalSeconds:0} s");
        Assert.True(run.Frames.Count > truth.FrameCount / 3, $"only {run.Frames.Count} of {truth.FrameCount} frames reached the overlay:\n" +
            string.Join("\n", logs.Lines.Where(l => l.Level >= LogLevel.Warning).Select(l => l.Message)));
        Assert.True(run.UnreadableFrames <= 2, $"{run.UnreadableFrames} frames had no readable stamp");

        // Every event the daemon published comes through mosquitto; those are the ones judged.
        await subscriber.WaitForAsync(ms => ms.Count >= run.Events.Count, TimeSpan.FromSeconds(20), $"{run.Events.Count} events over MQTT");
        var events = subscriber.Messages
            .Select(m => JsonSerializer.Deserialize(m.Payload, IdentityEventJsonContext.Default.IdentityEvent)!)
            .DistinctBy(e => e.EventId) // QoS 1 may deliver twice
            .Where(e => run.ReplayedAt is not { } replay || e.FirstSeen < replay) // a track begun as the stream started over
            .ToList();
        Assert.Equal(run.Events.Select(e => e.EventId).Order(), events.Select(e => e.EventId).Order());
        return (run, events);
    }
}
