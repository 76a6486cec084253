using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using FaceWatch.Core.Numerics;
using FaceWatch.Pipeline.Identification;

namespace FaceWatch.Hosting.Strangers;

/// <summary>One kept face of a visit: its crop file (in the store's <c>crops</c> folder), where and when, quality and embedding.</summary>
internal sealed class KeptCrop
{
    /// <summary>Stable within its group (<see cref="IStrangerBook.ReadCrop"/>); renumbered only when its group merges into another.</summary>
    public int Index { get; set; }

    public string File { get; set; } = "";

    public string Camera { get; set; } = "";

    public DateTimeOffset SeenAt { get; set; }

    public double Quality { get; set; }

    [JsonConverter(typeof(Base64FloatsConverter))]
    public float[] Embedding { get; set; } = [];
}

/// <summary>One <c>unknown</c> visit: its event, camera, times, mean embedding (what grouping compares) and kept faces.</summary>
internal sealed class KeptVisit
{
    public string EventId { get; set; } = "";

    public string Camera { get; set; } = "";

    public DateTimeOffset FirstSeen { get; set; }

    public DateTimeOffset LastSeen { get; set; }

    [JsonConverter(typeof(Base64FloatsConverter))]
    public float[] Embedding { get; set; } = [];

    public List<KeptCrop> Crops { get; set; } = [];
}

/// <summary>A group of visits of one stranger.</summary>
internal sealed class KeptGroup
{
    public string Id { get; set; } = "";

    /// <summary>The next crop index to give (indices are never reused within a group).</summary>
    public int NextCrop { get; set; }

    public List<KeptVisit> Visits { get; set; } = [];

    public DateTimeOffset FirstSeen => Visits.Count == 0 ? default : Visits.Min(v => v.FirstSeen);

    public DateTimeOffset LastSeen => Visits.Count == 0 ? default : Visits.Max(v => v.LastSeen);

    public IEnumerable<KeptCrop> Crops => Visits.SelectMany(v => v.Crops).OrderByDescending(c => c.Quality).ThenBy(c => c.Index);

    public StrangerGroup ToRecord() => new(
        Id, FirstSeen, LastSeen, Visits.Count,
        [.. Visits.Select(v => v.Camera).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
        [.. Crops.Select(c => new StrangerCrop(c.Index, c.Camera, c.SeenAt, c.Quality))]);
}

/// <summary>
/// Online grouping of stranger visits across time and cameras, without I/O. A new visit is compared with every group by
/// average linkage: the mean cosine between the visit's mean embedding and those of the group's latest
/// <see cref="LinkageVisits"/> visits. It joins the group at or above the threshold; when it reaches two or more, they
/// are one stranger seen apart and merge into the oldest (whose id is kept); when it reaches none it starts a group
/// with a new stable id. Each group keeps its <see cref="MaxCropsPerGroup"/> best crops over all its visits.
/// </summary>
/// <remarks>
/// Why purity first (<see cref="Threshold"/>): a wrong join puts one stranger's face under another's group, and naming
/// or ignoring that group then teaches the gallery the wrong face; a missed join only shows the same stranger twice,
/// which the reviewer sees and the next visits may still merge. The gallery's same-face cosine (its impostor 99.9 %
/// point, for one track's next face) is too loose here: every new visit is compared with every group, so its 1-in-1,000
/// pairs add up, and a false join also merges. On 80 LFW strangers x 3 visits (StrangerGroupingLfwTests) the default
/// same-face point 0.46 kept 88-90 % of visits in a pure group; the calibration's ceiling 0.60 (the strictest point it
/// allows, above which it says a turn of the head splits a visit) kept 100 %, at the cost of 1 stranger in 80 shown as
/// two groups. Visit means are far less noisy than single faces (two visits of one stranger on the daemon test's stream:
/// cosine 0.63 or more), so the strict point costs little. Average linkage asks a visit to resemble the group as a
/// whole, not its single closest visit (single linkage chains different people through one ambiguous visit).
/// </remarks>
internal sealed class StrangerGroups
{
    /// <summary>Best crops a group keeps over all its visits; weaker ones are deleted as better ones come.</summary>
    public const int MaxCropsPerGroup = 8;

    /// <summary>The latest visits of a group a new visit is compared with (bounds the cost of a long-known stranger).</summary>
    public const int LinkageVisits = 64;

    private readonly List<KeptGroup> _groups;
    private readonly Func<string> _newId;

    public StrangerGroups(IEnumerable<KeptGroup> groups, Func<string> newId)
    {
        _groups = [.. groups];
        _newId = newId;
    }

    public IReadOnlyList<KeptGroup> All => _groups;

    public int VisitCount => _groups.Sum(g => g.Visits.Count);

    /// <summary>
    /// The cosine at which a visit joins a group: the gallery's same-face cosine raised to the calibration's ceiling
    /// (<see cref="SameFaceCalibration.Ceiling"/>; see the remarks for why and what it measured).
    /// </summary>
    public static double Threshold(double sameFace) => Math.Max(sameFace, SameFaceCalibration.Ceiling);

    /// <summary>Mean cosine of <paramref name="embedding"/> to the group's latest visits' embeddings.</summary>
    public static double Linkage(KeptGroup group, ReadOnlySpan<float> embedding)
    {
        ArgumentNullException.ThrowIfNull(group);
        var sum = 0.0;
        var n = 0;
        for (var i = group.Visits.Count - 1; i >= 0 && n < LinkageVisits; i--, n++)
        {
            sum += VectorMath.Dot(group.Visits[i].Embedding, embedding);
        }

        return n == 0 ? double.NegativeInfinity : sum / n;
    }

    public KeptGroup? Find(string id) => _groups.Find(g => g.Id == id);

    /// <summary>
    /// Adds the visit (its crops get their group's indices) and returns its group and the crops no longer kept (their
    /// files are to be deleted), plus the ids of groups merged into it.
    /// </summary>
    public (KeptGroup Group, List<KeptCrop> Dropped, List<string> Merged) Add(KeptVisit visit, double threshold)
    {
        ArgumentNullException.ThrowIfNull(visit);
        var matches = _groups.Where(g => Linkage(g, visit.Embedding) >= threshold).ToList();
        KeptGroup group;
        var merged = new List<string>();
        if (matches.Count == 0)
        {
            group = new KeptGroup { Id = NewId() };
            _groups.Add(group);
        }
        else
        {
            group = matches.MinBy(g => g.FirstSeen)!;
            foreach (var other in matches.Where(g => !ReferenceEquals(g, group)))
            {
                foreach (var moved in other.Visits)
                {
                    foreach (var crop in moved.Crops)
                    {
                        crop.Index = group.NextCrop++;
                    }

                    group.Visits.Add(moved);
                }

                _groups.Remove(other);
                merged.Add(other.Id);
            }

            // Oldest first, so the linkage's "latest visits" are the latest in time.
            group.Visits.Sort((a, b) => a.LastSeen.CompareTo(b.LastSeen));
        }

        foreach (var crop in visit.Crops)
        {
            crop.Index = group.NextCrop++;
        }

        group.Visits.Add(visit);
        return (group, Trim(group), merged);
    }

    /// <summary>Removes the visits <paramref name="drop"/> picks (groups left empty go too); returns their crops.</summary>
    public List<KeptCrop> RemoveVisits(Func<KeptVisit, bool> drop)
    {
        var dropped = new List<KeptCrop>();
        foreach (var group in _groups)
        {
            foreach (var visit in group.Visits.Where(drop))
            {
                dropped.AddRange(visit.Crops);
            }

            group.Visits.RemoveAll(v => drop(v));
        }

        _groups.RemoveAll(g => g.Visits.Count == 0);
        return dropped;
    }

    /// <summary>The <paramref name="count"/> oldest visits by last sighting (for <c>MaxVisits</c>).</summary>
    public HashSet<KeptVisit> Oldest(int count) =>
        [.. _groups.SelectMany(g => g.Visits).OrderBy(v => v.LastSeen).Take(Math.Max(0, count))];

    /// <summary>Removes the group; null for an unknown id.</summary>
    public KeptGroup? Forget(string id)
    {
        var group = Find(id);
        if (group is not null)
        {
            _groups.Remove(group);
        }

        return group;
    }

    /// <summary>Keeps the group's best crops; returns the others, removed from their visits.</summary>
    private static List<KeptCrop> Trim(KeptGroup group)
    {
        var weaker = group.Crops.Skip(MaxCropsPerGroup).ToHashSet();
        foreach (var visit in group.Visits)
        {
            visit.Crops.RemoveAll(weaker.Contains);
        }

        return [.. weaker];
    }

    private string NewId()
    {
        string id;
        do
        {
            id = _newId();
        }
        while (Find(id) is not null);

        return id;
    }
}

/// <summary>A float vector as base64 of its little-endian bytes: a fifth of the size of a JSON number list.</summary>
internal sealed class Base64FloatsConverter : JsonConverter<float[]>
{
    public override float[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var bytes = reader.GetBytesFromBase64();
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new JsonException($"a vector of {bytes.Length} bytes is not a list of floats");
        }

        var values = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }

        return values;
    }

    public override void Write(Utf8JsonWriter writer, float[] value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        var bytes = new byte[value.Length * sizeof(float)];
        for (var i = 0; i < value.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), value[i]);
        }

        writer.WriteBase64StringValue(bytes);
    }
}
