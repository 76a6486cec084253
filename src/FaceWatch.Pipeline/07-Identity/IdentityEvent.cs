namespace FaceWatch.Pipeline.Identity;

/// <summary>Kinds of identity event, as they appear in payloads.</summary>
public static class IdentityEventKind
{
    public const string Arrived = "arrived";
    public const string Changed = "changed";
    public const string Left = "left";
}

/// <summary>A box in frame pixels.</summary>
public sealed record EventBox(int X, int Y, int W, int H);

/// <summary>
/// What the pipeline tells the world about one track: its first decision (<c>arrived</c>),
/// a flipped decision (<c>changed</c>) or its end (<c>left</c>). Field names are the payload contract.
/// </summary>
public sealed record IdentityEvent
{
    public required string EventId { get; init; }
    public required string Event { get; init; }
    public required string Camera { get; init; }
    public required long TrackId { get; init; }
    public required string Name { get; init; }
    public required bool Known { get; init; }
    public required double Confidence { get; init; }
    public required EventBox Box { get; init; }
    public required int FrameWidth { get; init; }
    public required int FrameHeight { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required DateTimeOffset FirstSeen { get; init; }
    public required DateTimeOffset LastSeen { get; init; }
    public required double LatencyMs { get; init; }

    /// <summary>
    /// For <c>arrived</c> of a visit split off a track (the face changed): why the track was in doubt
    /// (<c>appearance-change</c>, <c>shot-cut</c>, <c>gap</c>, <c>jump</c>, <c>crossing</c>); for <c>changed</c>: what
    /// decided (<c>strong-evidence</c>, <c>votes</c>); else null.
    /// </summary>
    public string? Reason { get; init; }

    /// <summary>For <c>arrived</c>/<c>changed</c>: the closest enrolled person of the deciding face, also behind an <c>unknown</c>.</summary>
    public string? Nearest { get; init; }

    /// <summary>For <c>arrived</c>/<c>changed</c>: the deciding face's similarity to <see cref="Nearest"/>.</summary>
    public double? Similarity { get; init; }

    /// <summary>For <c>arrived</c>/<c>changed</c>: how far <see cref="Nearest"/> led the second nearest person.</summary>
    public double? Margin { get; init; }

    /// <summary>
    /// For <c>arrived</c>/<c>changed</c>: how many of the visit's faces the deciding evidence averaged (1: the deciding face
    /// alone); <see cref="Nearest"/>, <see cref="Similarity"/> and <see cref="Margin"/> are of that evidence.
    /// </summary>
    public int? Evidence { get; init; }

    /// <summary>For <c>left</c>: seconds between first and last sighting.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>For <c>left</c>: how many faces of the track were embedded and identified.</summary>
    public int? Observations { get; init; }

    /// <summary>
    /// Cluster mode: the ownership epoch of the camera while the visit was seen (the revision of its lease; a new owner has a
    /// higher one), so a reader can drop a former owner's late events. Null on a single box.
    /// </summary>
    public long? Epoch { get; init; }

    /// <summary>Optional JPEG of the face crop (set on <c>arrived</c> when snapshots are on); never serialised into the event payload.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public byte[]? FaceJpeg { get; init; }

    /// <summary>
    /// The visit's evidence at this event: the L2-normalised mean of its embedded faces (null before the first). For
    /// <c>gallery reject</c> and the stranger store, in memory only; never serialised into the event payload.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public float[]? Embedding { get; init; }

    /// <summary>
    /// For <c>left</c> of an <c>unknown</c> visit while strangers are kept (<c>Strangers:Enabled</c>): the visit's best
    /// aligned faces, best first, for the stranger store, which takes them. In memory only; never serialised into the
    /// event payload.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public VisitFaces? Faces { get; init; }
}

/// <summary>
/// The best faces of a stranger's visit, handed over once: the stranger store <see cref="Take"/>s them, and every other
/// holder of the event (the web's recent events, the MQTT feed) holds nothing from then on, so the crops of a stranger
/// the reviewer forgets do not live on in memory. Thread-safe.
/// </summary>
public sealed class VisitFaces
{
    private VisitFace[]? _faces;

    public VisitFaces(IEnumerable<VisitFace> faces) => _faces = [.. faces];

    /// <summary>Faces not taken yet.</summary>
    public int Count => Volatile.Read(ref _faces)?.Length ?? 0;

    /// <summary>The faces, best first, once; empty after the first call.</summary>
    public IReadOnlyList<VisitFace> Take() => Interlocked.Exchange(ref _faces, null) ?? [];
}

/// <summary>
/// One of a visit's best faces: the JPEG of the aligned crop the embedder saw, its L2-normalised embedding, its quality
/// (face size x sharpness: only for ranking a visit's faces) and when it was captured.
/// </summary>
public sealed record VisitFace(byte[] Jpeg, float[] Embedding, double Quality, DateTimeOffset SeenAt);
