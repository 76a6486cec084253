using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Tests.Hosting.Mqtt;

/// <summary>The broker goes away for 10 s while events keep coming: nothing is lost, order is kept.</summary>
[Trait("Category", "Slow")]
public class MqttOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Events_produced_during_a_10_s_broker_outage_all_arrive_in_order()
    {
        // Persistence on, so the subscriber's session (and what the broker queued for it) survives the restart.
        await using var broker = await MosquittoBroker.StartNewAsync(persistence: true);
        var t = new MqttTopics("facewatch");
        await using var sub = await MqttTestSubscriber.ConnectAsync(broker.Port, t.Events("porch"), clientId: "outage-sub", cleanSession: false);
        await using var host = await PublisherHost.StartAsync(broker.Port);
        await host.WaitConnectedAsync(TimeSpan.FromSeconds(10));

        var produced = new List<string>();
        var maxOutbox = 0;
        async Task ProduceAsync(TimeSpan duration)
        {
            var end = DateTime.UtcNow + duration;
            while (DateTime.UtcNow < end)
            {
                var e = TestEvents.Make(produced.Count % 2 == 0 ? IdentityEventKind.Arrived : IdentityEventKind.Left, "porch", produced.Count / 2, "Alice", produced.Count);
                produced.Add(e.EventId);
                await host.Hub.PublishAsync(e, CancellationToken.None);
                maxOutbox = Math.Max(maxOutbox, host.Publisher.OutboxCount);
                await Task.Delay(50);
            }
        }

        await ProduceAsync(TimeSpan.FromSeconds(1));
        // Let the subscriber catch up first: what the broker itself had in flight to the subscriber when it stopped
        // is the broker's business (and mosquitto's persistence), not what this test is about.
        var before = produced.ToHashSet();
        await sub.WaitForAsync(
            ms => ms.Count(m => before.Contains(JsonDocument.Parse(m.Payload).RootElement.GetProperty("eventId").GetString()!)) >= before.Count,
            TimeSpan.FromSeconds(10),
            "the events before the outage");
        await broker.StopAsync();
        var producedBeforeOutage = produced.Count;
        await ProduceAsync(TimeSpan.FromSeconds(10));
        var producedDuringOutage = produced.Count - producedBeforeOutage;
        await broker.StartAsync();
        await sub.ReconnectAsync(TimeSpan.FromSeconds(10));
        await ProduceAsync(TimeSpan.FromSeconds(1));

        try
        {
            await sub.WaitForAsync(
                ms => ms.Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("eventId").GetString()).Distinct().Count() >= produced.Count,
                TimeSpan.FromSeconds(30),
                $"all {produced.Count} events");
        }
        catch (TimeoutException ex)
        {
            var got = sub.Messages.Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("eventId").GetString()).ToHashSet();
            var missing = produced.Select((id, i) => (id, i)).Where(p => !got.Contains(p.id)).Select(p => p.i);
            throw new TimeoutException(
                $"{ex.Message}\nmissing event indices: {string.Join(", ", missing)} (outage from index {producedBeforeOutage} to {producedBeforeOutage + producedDuringOutage - 1})\n" +
                "publisher log:\n" + string.Join("\n", host.Logs.Lines.Where(l => l.EventId >= 6000).Select(l => $"{l.Level} {l.EventId} {l.Message}")) +
                "\nbroker log:\n" + broker.Log,
                ex);
        }

        var receivedIds = sub.Messages.Select(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("eventId").GetString()!).ToArray();
        var deduplicated = receivedIds.Distinct().ToArray();
        Assert.Equal(produced, deduplicated);
        Assert.True(maxOutbox >= producedDuringOutage - 1, $"outbox peaked at {maxOutbox}, expected about {producedDuringOutage} waiting events");
        Assert.Equal(0, host.Publisher.OutboxDropped);
        Assert.Contains(host.Logs.Lines, l => l.EventId == 6006); // lost
        Assert.Contains(host.Logs.Lines, l => l.EventId == 6003); // unreachable, once
        Assert.Equal(1, host.Logs.Lines.Count(l => l.EventId == 6003));
        Assert.Equal(2, host.Logs.Lines.Count(l => l.EventId == 6002)); // connected, twice
        output.WriteLine($"{produced.Count} events produced ({producedDuringOutage} during the 10 s outage, outbox peak {maxOutbox}); " +
                         $"{receivedIds.Length} messages received, {receivedIds.Length - deduplicated.Length} duplicates removed by eventId.");
    }

    [Fact]
    public async Task A_full_outbox_drops_the_oldest_counts_and_warns()
    {
        var port = MosquittoBroker.FreePort(); // nobody listens: the publisher stays disconnected
        await using var host = await PublisherHost.StartAsync(port, new Dictionary<string, string?> { ["Mqtt:OutboxCapacity"] = "5" });
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        long droppedMetric = 0;
        var gauges = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // only this host's instruments: other tests run publishers in parallel
            if (instrument.Meter.Name == "FaceWatch" && ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name.StartsWith("facewatch.mqtt.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "facewatch.mqtt.outbox.dropped")
            {
                Interlocked.Add(ref droppedMetric, value);
            }
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => gauges[instrument.Name] = value);
        listener.Start();
        for (var i = 0; i < 8; i++)
        {
            await host.Hub.PublishAsync(TestEvents.Make(IdentityEventKind.Arrived, "porch", i, "Alice", i), CancellationToken.None);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        // 8 events + 1 discovery group for the new camera = 9 groups into 5 places
        while (host.Publisher.OutboxDropped < 4 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(4, host.Publisher.OutboxDropped);
        Assert.Equal(5, host.Publisher.OutboxCount);
        Assert.Single(host.Logs.Lines, l => l.EventId == 6007);
        Assert.False(host.Publisher.IsConnected);

        listener.RecordObservableInstruments();
        Assert.Equal(4, Interlocked.Read(ref droppedMetric));
        Assert.Equal(5, gauges["facewatch.mqtt.outbox.size"]);
        Assert.Equal(0, gauges["facewatch.mqtt.connected"]);
    }

    [Fact]
    public async Task Disabled_publishing_never_connects_nor_holds_back_the_pipeline()
    {
        await using var host = await PublisherHost.StartAsync(MosquittoBroker.FreePort(), new Dictionary<string, string?> { ["Mqtt:Enabled"] = "false" });
        // far more than a subscriber queue holds: would block if the publisher had subscribed without reading
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 3000; i++)
        {
            await host.Hub.PublishAsync(TestEvents.Make(IdentityEventKind.Arrived, "porch", i, "Alice", i), timeout.Token);
        }

        Assert.Equal(0, host.Hub.BackpressureWaits);
        await MqttPublisherTests.WaitForLogAsync(host, l => l.EventId == 6017); // ExecuteAsync runs on the thread pool
        Assert.DoesNotContain(host.Logs.Lines, l => l.EventId is 6001 or 6003);
        Assert.Equal(0, host.Publisher.OutboxCount);
    }
}
