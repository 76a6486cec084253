using System.Collections.Concurrent;
using FaceWatch.Hosting.Strangers;

namespace FaceWatch.Tests.Hosting.Strangers;

/// <summary>An in-memory <see cref="IStrangerBook"/> for tests of its review surfaces: groups, JPEG crops and embeddings put in by hand.</summary>
internal sealed class FakeStrangerBook(bool enabled = true) : IStrangerBook
{
    private readonly ConcurrentDictionary<string, (StrangerGroup Group, byte[][] Jpegs, float[][] Embeddings)> _groups = new(StringComparer.Ordinal);

    public bool Enabled { get; } = enabled;

    public List<string> Forgotten { get; } = [];

    /// <summary>Makes <see cref="ForgetAsync"/> fail as a store whose folder cannot be written does.</summary>
    public bool FailForget { get; set; }

    /// <summary>Adds a group seen on <paramref name="camera"/> with one crop per embedding (all <paramref name="jpeg"/>), best first.</summary>
    public StrangerGroup Add(string id, IReadOnlyList<float[]> embeddings, byte[] jpeg, string camera = "door", int visits = 2)
    {
        var first = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        var crops = embeddings.Select((_, i) => new StrangerCrop(i, camera, first.AddMinutes(i), 0.9 - (i * 0.01))).ToArray();
        var group = new StrangerGroup(id, first, first.AddHours(3), visits, [camera], crops);
        _groups[id] = (group, [.. embeddings.Select(_ => jpeg)], [.. embeddings]);
        return group;
    }

    public IReadOnlyList<StrangerGroup> Groups() => [.. _groups.Values.Select(g => g.Group).OrderByDescending(g => g.LastSeen).ThenBy(g => g.Id, StringComparer.Ordinal)];

    public StrangerGroup? Find(string id) => _groups.TryGetValue(id, out var g) ? g.Group : null;

    public byte[]? ReadCrop(string id, int index) =>
        _groups.TryGetValue(id, out var g) && index >= 0 && index < g.Jpegs.Length ? g.Jpegs[index] : null;

    public IReadOnlyList<float[]> Embeddings(string id) => _groups.TryGetValue(id, out var g) ? g.Embeddings : [];

    public Task<bool> ForgetAsync(string id, CancellationToken cancellationToken)
    {
        if (FailForget)
        {
            throw new IOException("Access to the path '/var/lib/facewatch/strangers/strangers.json' is denied.");
        }

        var removed = _groups.TryRemove(id, out _);
        if (removed)
        {
            lock (Forgotten)
            {
                Forgotten.Add(id);
            }
        }

        return Task.FromResult(removed);
    }
}
