using System.Globalization;
using System.Runtime.CompilerServices;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace FaceWatch.Cluster;

/// <summary>
/// One identity event as it travels through the cluster's event stream: the camera's owner at <see cref="Epoch"/>
/// publishes the event's JSON (serialised by the pipeline, opaque here) under
/// <c>facewatch.events.&lt;site&gt;.&lt;camera&gt;</c>. <see cref="Sequence"/> numbers events of the same
/// <see cref="Kind"/> within one track (a track may be "changed" several times), so the message id is unique per event.
/// </summary>
public sealed record ClusterEvent(string Site, string Camera, ulong Epoch, string Node, string Track, string Kind, int Sequence, ReadOnlyMemory<byte> Json)
{
    /// <summary>The stream sequence of a read event (0 before it is stored).</summary>
    public ulong StreamSequence { get; init; }
}

/// <summary>The answer of the stream to a publish: its sequence, and whether it was a duplicate (stored once before).</summary>
public readonly record struct EventPublish(ulong Sequence, bool Duplicate);

/// <summary>
/// The cluster's identity events, exactly once: a JetStream stream (<see cref="StreamName"/>) over
/// <c>facewatch.events.&gt;</c> with a duplicate window, and a deterministic message id per event
/// (<see cref="MessageId"/>), so publishing the same event again (after a reconnect, or a replay by a new owner
/// within the window) stores it once. Headers carry the epoch and the node, so readers can drop events of a stale
/// owner (<see cref="EpochFilter"/>) without parsing the payload.
/// </summary>
public sealed class ClusterEventStream(INatsJSContext js)
{
    public const string StreamName = "FACEWATCH_EVENTS";

    public const string SubjectPrefix = "facewatch.events.";

    public const string EpochHeader = "FaceWatch-Epoch";

    public const string NodeHeader = "FaceWatch-Node";

    public const string SiteHeader = "FaceWatch-Site";

    public const string CameraHeader = "FaceWatch-Camera";

    public const string TrackHeader = "FaceWatch-Track";

    public const string KindHeader = "FaceWatch-Kind";

    public const string SequenceHeader = "FaceWatch-Sequence";

    /// <summary>The message id header JetStream deduplicates on.</summary>
    public const string MsgIdHeader = "Nats-Msg-Id";

    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    /// <summary>A second publish of one event within this window stores nothing (a replay after failover must come sooner).</summary>
    public static TimeSpan DuplicateWindow { get; } = TimeSpan.FromMinutes(2);

    /// <summary>Events older than this leave the stream.</summary>
    public static TimeSpan MaxAge { get; } = TimeSpan.FromDays(7);

    /// <summary>The stream drops its oldest events beyond this size.</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>The subject of <paramref name="camera"/>'s events: <c>facewatch.events.&lt;site&gt;.&lt;camera&gt;</c> (encoded as keys are).</summary>
    public static string Subject(string site, string camera) => SubjectPrefix + ClusterKeys.Encode(site) + "." + ClusterKeys.Encode(camera);

    /// <summary>All events of <paramref name="site"/>, or of every site when null.</summary>
    public static string Filter(string? site) => site is null ? SubjectPrefix + ">" : SubjectPrefix + ClusterKeys.Encode(site) + ".*";

    /// <summary><c>&lt;site&gt;.&lt;camera&gt;.&lt;epoch&gt;.&lt;track&gt;.&lt;kind&gt;.&lt;sequence&gt;</c>, names encoded as keys are.</summary>
    public static string MessageId(ClusterEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return string.Join('.', ClusterKeys.Encode(e.Site), ClusterKeys.Encode(e.Camera), e.Epoch.ToString(CultureInfo.InvariantCulture),
            ClusterKeys.Encode(e.Track), ClusterKeys.Encode(e.Kind), e.Sequence.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Creates the stream, or updates its limits when it exists.</summary>
    public async Task EnsureAsync(int replicas, CancellationToken cancellationToken)
    {
        var config = new StreamConfig(StreamName, [SubjectPrefix + ">"])
        {
            Description = "FaceWatch identity events, one subject per camera",
            DuplicateWindow = DuplicateWindow,
            MaxAge = MaxAge,
            MaxBytes = MaxBytes,
            Storage = StreamConfigStorage.File,
            Discard = StreamConfigDiscard.Old,
            NumReplicas = replicas,
        };
        await js.CreateOrUpdateStreamAsync(config, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes one event with its message id and headers. A failure of the server or the connection throws (a
    /// <see cref="NatsException"/>): the caller keeps the event and publishes it again, which stores it once.
    /// </summary>
    public async Task<EventPublish> PublishAsync(ClusterEvent e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        var headers = new NatsHeaders
        {
            [EpochHeader] = e.Epoch.ToString(CultureInfo.InvariantCulture),
            [NodeHeader] = e.Node,
            [SiteHeader] = e.Site,
            [CameraHeader] = e.Camera,
            [TrackHeader] = e.Track,
            [KindHeader] = e.Kind,
            [SequenceHeader] = e.Sequence.ToString(CultureInfo.InvariantCulture),
        };
        var ack = await js.PublishAsync(
            Subject(e.Site, e.Camera), e.Json.ToArray(), Raw, new NatsJSPubOpts { MsgId = MessageId(e) }, headers, cancellationToken).ConfigureAwait(false);
        if (!ack.Duplicate)
        {
            ack.EnsureSuccess(); // an error answer throws; a duplicate is the success this stream exists for
        }

        return new EventPublish(ack.Seq, ack.Duplicate);
    }

    /// <summary>
    /// Reads the events of <paramref name="site"/> (every site when null) from the start of the stream, then waits for
    /// new ones until cancelled; events of a stale owner (an epoch below the newest seen for the camera) are dropped.
    /// Messages without the FaceWatch headers are skipped.
    /// </summary>
    public async IAsyncEnumerable<ClusterEvent> ReadAsync(string? site, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var consumer = await js.CreateOrderedConsumerAsync(
            StreamName, new NatsJSOrderedConsumerOpts { FilterSubjects = [Filter(site)], DeliverPolicy = ConsumerConfigDeliverPolicy.All },
            cancellationToken).ConfigureAwait(false);
        var filter = new EpochFilter();
        await foreach (var msg in consumer.ConsumeAsync(Raw, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (FromMessage(msg.Headers, msg.Data, msg.Metadata?.Sequence.Stream ?? 0) is { } e && filter.Accept(e))
            {
                yield return e;
            }
        }
    }

    /// <summary>The event a message carries, or null when its headers are not FaceWatch's.</summary>
    public static ClusterEvent? FromMessage(NatsHeaders? headers, byte[]? data, ulong streamSequence)
    {
        if (headers is null
            || !TryGet(headers, EpochHeader, out var epochText) || !ulong.TryParse(epochText, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
            || !TryGet(headers, SiteHeader, out var site) || !TryGet(headers, CameraHeader, out var camera))
        {
            return null;
        }

        TryGet(headers, NodeHeader, out var node);
        TryGet(headers, TrackHeader, out var track);
        TryGet(headers, KindHeader, out var kind);
        TryGet(headers, SequenceHeader, out var sequenceText);
        _ = int.TryParse(sequenceText, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence);
        return new ClusterEvent(site, camera, epoch, node, track, kind, sequence, data ?? []) { StreamSequence = streamSequence };
    }

    private static bool TryGet(NatsHeaders headers, string name, out string value)
    {
        value = headers.TryGetValue(name, out var values) ? values.ToString() : "";
        return value.Length > 0;
    }
}

/// <summary>
/// Drops events of stale owners: per camera (site and name) it keeps the newest epoch seen, and an event with a
/// lower epoch comes from a node that lost (or was fenced from) the camera after a newer owner took it over.
/// Events of the newest epoch, and of a newer one, pass. Not thread-safe: one per reader.
/// </summary>
public sealed class EpochFilter
{
    private readonly Dictionary<(string Site, string Camera), ulong> _newest = [];

    /// <summary>True when <paramref name="e"/> is of the newest epoch seen for its camera (which it may raise).</summary>
    public bool Accept(ClusterEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var key = (e.Site, e.Camera);
        if (_newest.TryGetValue(key, out var newest) && e.Epoch < newest)
        {
            return false;
        }

        _newest[key] = e.Epoch;
        return true;
    }

    /// <summary>The newest epoch seen for the camera, or null.</summary>
    public ulong? NewestEpoch(string site, string camera) => _newest.TryGetValue((site, camera), out var epoch) ? epoch : null;
}
