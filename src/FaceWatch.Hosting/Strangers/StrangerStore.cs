using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using FaceWatch.Pipeline.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting.Strangers;

/// <summary>
/// The stranger memory on disk (<c>Strangers:Enabled</c>): <c>strangers.json</c> (groups, visits, embeddings, crop
/// metadata) and one JPEG per kept crop under <c>crops/</c> in <see cref="Folder"/>. Every write is atomic (a temporary
/// file renamed over the old one); crops are written before the index that names them and deleted after the index no
/// longer does, so a crash leaves at worst an unnamed crop, deleted at the next start. Reads are bounded
/// (<see cref="MaxIndexBytes"/>, <see cref="MaxCropBytes"/>). An index that cannot be read is never overwritten: the
/// store logs the file and why, touches nothing in the folder and keeps nothing until it is fixed or moved away
/// (<see cref="Problem"/>). Retention (<c>RetentionDays</c>, <c>MaxVisits</c>) is enforced at start, by the recorder
/// periodically, and after every write. Thread-safe.
/// </summary>
// Size: one store owns the folder's consistency (index, crops, retention, forgetting); splitting it would split the write order that keeps them consistent.
public sealed partial class StrangerStore : IStrangerBook, IDisposable
{
    public const string IndexFileName = "strangers.json";
    public const string CropsFolderName = "crops";
    public const long MaxIndexBytes = 64L * 1024 * 1024;
    public const int MaxCropBytes = 1024 * 1024;

    private const string Format = "facewatch-strangers";
    private const int Version = 1;

    private readonly StrangerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StrangerStore> _logger;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly StrangerGroups _groups;
    private bool _swept;

    public StrangerStore(IOptions<StrangerOptions> options, TimeProvider time, ILogger<StrangerStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        _logger = logger;
        Folder = _options.ResolveFolder();
        _groups = new StrangerGroups(Load(), NewGroupId);
    }

    public bool Enabled => true;

    public string Folder { get; }

    public string IndexPath => Path.Combine(Folder, IndexFileName);

    /// <summary>Why the stranger memory is unavailable (its index cannot be read), naming the file; null when it works.</summary>
    public string? Problem { get; private set; }

    public IReadOnlyList<StrangerGroup> Groups()
    {
        lock (_gate)
        {
            return [.. _groups.All.OrderByDescending(g => g.LastSeen).Select(g => g.ToRecord())];
        }
    }

    public StrangerGroup? Find(string id)
    {
        lock (_gate)
        {
            return _groups.Find(id)?.ToRecord();
        }
    }

    /// <summary>The event ids of the <c>left</c> events of the group's visits, oldest first (empty for an unknown id).</summary>
    public IReadOnlyList<string> VisitEventIds(string id)
    {
        lock (_gate)
        {
            return _groups.Find(id) is { } group ? [.. group.Visits.Select(v => v.EventId)] : [];
        }
    }

    public byte[]? ReadCrop(string id, int index)
    {
        string? file;
        lock (_gate)
        {
            file = _groups.Find(id)?.Crops.FirstOrDefault(c => c.Index == index)?.File;
        }

        if (file is null)
        {
            return null;
        }

        var path = CropPath(file);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            if (stream.Length > MaxCropBytes)
            {
                Log.CropTooLarge(_logger, path, stream.Length, MaxCropBytes);
                return null;
            }

            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Forgotten meanwhile, or deleted by hand.
            Log.CropUnreadable(_logger, path, ex);
            return null;
        }
    }

    public IReadOnlyList<float[]> Embeddings(string id)
    {
        lock (_gate)
        {
            return _groups.Find(id) is { } group ? [.. group.Crops.Select(c => c.Embedding.ToArray())] : [];
        }
    }

    /// <inheritdoc/>
    /// <exception cref="IOException">The index cannot be rewritten: nothing was forgotten (also <see cref="UnauthorizedAccessException"/>).</exception>
    public async Task<bool> ForgetAsync(string id, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            byte[] index;
            KeptGroup? group;
            lock (_gate)
            {
                group = _groups.Find(id);
                if (group is null)
                {
                    return false;
                }

                index = Serialize(without: group);
            }

            // The embeddings leave the index first, then memory, then the crops: a failed index write (thrown to the
            // caller) changes nothing, a failure after it leaves only crops no index names (deleted at the next start).
            await WriteAtomicAsync(IndexPath, index).ConfigureAwait(false);
            lock (_gate)
            {
                _groups.Forget(id);
            }

            var crops = group.Visits.SelectMany(v => v.Crops).ToList();
            DeleteCrops(crops);
            Log.Forgotten(_logger, id, group.Visits.Count, crops.Count);
            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Keeps a <c>left</c> event of an <c>unknown</c> visit with its faces (<see cref="IdentityEvent.Faces"/>, taken), grouped at
    /// <paramref name="sameFace"/> (the gallery's same-face cosine); returns its group's id, or null when nothing was
    /// kept (not a stranger's visit, no faces, or the store unavailable).
    /// </summary>
    public async Task<string?> AddAsync(IdentityEvent visit, double sameFace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(visit);
        if (Problem is not null || visit.Known || visit.Name != IdentityVoter.UnknownName
            || visit.Faces is not { Count: > 0 } || visit.Embedding is not { Length: > 0 } embedding)
        {
            return null;
        }

        // Taken from the event: nobody else holding it keeps the crops in memory.
        var faces = visit.Faces.Take();

        await _writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var kept = new KeptVisit
            {
                EventId = visit.EventId, Camera = visit.Camera, FirstSeen = visit.FirstSeen, LastSeen = visit.LastSeen,
                Embedding = [.. embedding],
            };
            foreach (var face in faces.Where(f => f.Jpeg.Length is > 0 and <= MaxCropBytes && f.Embedding.Length == embedding.Length).Take(_options.CropsPerVisit))
            {
                var file = $"c-{Guid.NewGuid():N}.jpg";
                await WriteAtomicAsync(CropPath(file), face.Jpeg).ConfigureAwait(false);
                kept.Crops.Add(new KeptCrop { File = file, Camera = visit.Camera, SeenAt = face.SeenAt, Quality = Math.Round(face.Quality, 2), Embedding = face.Embedding });
            }

            byte[] index;
            List<KeptCrop> dropped;
            KeptGroup group;
            List<string> merged;
            lock (_gate)
            {
                (group, dropped, merged) = _groups.Add(kept, StrangerGroups.Threshold(sameFace));
                dropped.AddRange(Expire());
                index = Serialize();
            }

            await WriteAtomicAsync(IndexPath, index).ConfigureAwait(false);
            DeleteCrops(dropped);
            Log.VisitKept(_logger, visit.Camera, visit.TrackId, group.Id, group.Visits.Count, kept.Crops.Count, merged.Count == 0 ? "-" : string.Join(',', merged));
            return group.Id;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The daemon keeps running: a full disk or a read-only folder costs the stranger memory, not the cameras.
            Log.WriteFailed(_logger, Folder, ex);
            return null;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Deletes visits beyond <c>RetentionDays</c> and <c>MaxVisits</c> (and, the first time, crops no index names); returns how many visits went.</summary>
    public async Task<int> EnforceRetentionAsync(CancellationToken cancellationToken)
    {
        if (Problem is not null)
        {
            return 0;
        }

        await _writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            byte[] index;
            List<KeptCrop> dropped;
            int before;
            int removed;
            HashSet<string> named;
            lock (_gate)
            {
                before = _groups.VisitCount;
                dropped = Expire();
                removed = before - _groups.VisitCount;
                index = Serialize();
                named = [.. _groups.All.SelectMany(g => g.Crops).Select(c => c.File)];
            }

            if (removed > 0)
            {
                await WriteAtomicAsync(IndexPath, index).ConfigureAwait(false);
                DeleteCrops(dropped);
                Log.Expired(_logger, removed, Folder);
            }

            if (!_swept)
            {
                _swept = true;
                SweepUnnamed(named);
            }

            return removed;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The daemon keeps running: a full disk or a read-only folder costs the stranger memory, not the cameras.
            Log.WriteFailed(_logger, Folder, ex);
            return 0;
        }
        finally
        {
            _writes.Release();
        }
    }

    public void Dispose() => _writes.Dispose();

    /// <summary>Under the gate: drops visits older than the retention, then the oldest beyond the maximum count.</summary>
    private List<KeptCrop> Expire()
    {
        var cutoff = _time.GetUtcNow() - TimeSpan.FromDays(_options.RetentionDays);
        var dropped = _groups.RemoveVisits(v => v.LastSeen < cutoff);
        var excess = _groups.VisitCount - _options.MaxVisits;
        if (excess > 0)
        {
            var oldest = _groups.Oldest(excess);
            dropped.AddRange(_groups.RemoveVisits(oldest.Contains));
        }

        return dropped;
    }

    private List<KeptGroup> Load()
    {
        var path = IndexPath;
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxIndexBytes)
            {
                throw new InvalidDataException($"{stream.Length} bytes, more than the {MaxIndexBytes} a stranger index may have");
            }

            var file = JsonSerializer.Deserialize(stream, StrangerJsonContext.Default.StrangerIndex)
                ?? throw new InvalidDataException("empty");
            Check(file);
            Log.Loaded(_logger, path, file.Groups.Count, file.Groups.Sum(g => g.Visits.Count));
            return file.Groups;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidDataException or NotSupportedException)
        {
            Problem = $"the stranger index {path} cannot be read ({ex.Message}); strangers are not kept until it is repaired or moved away";
            Log.IndexDamaged(_logger, path, ex.Message);
            return [];
        }
    }

    /// <summary>A tampered or foreign index must not name files outside the folder, nor hold vectors of mixed sizes.</summary>
    private static void Check(StrangerIndex file)
    {
        if (file.Format != Format || file.Version != Version)
        {
            throw new InvalidDataException($"format '{file.Format}' version {file.Version}, expected '{Format}' version {Version}");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        int? dimension = null;
        foreach (var group in file.Groups)
        {
            if (!GroupIdPattern().IsMatch(group.Id) || !ids.Add(group.Id) || group.Visits.Count == 0)
            {
                throw new InvalidDataException($"group '{group.Id}' has a bad or repeated id, or no visit");
            }

            foreach (var visit in group.Visits)
            {
                foreach (var vector in visit.Crops.Select(c => c.Embedding).Prepend(visit.Embedding))
                {
                    dimension ??= vector.Length;
                    if (vector.Length == 0 || vector.Length != dimension)
                    {
                        throw new InvalidDataException($"group '{group.Id}' holds an embedding of {vector.Length} values, expected {dimension}");
                    }
                }

                if (visit.Crops.Any(c => !CropFilePattern().IsMatch(c.File) || c.Index < 0 || c.Index >= group.NextCrop))
                {
                    throw new InvalidDataException($"group '{group.Id}' names a crop file or index that is not the store's");
                }
            }
        }
    }

    private byte[] Serialize(KeptGroup? without = null) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new StrangerIndex { Format = Format, Version = Version, Groups = [.. _groups.All.Where(g => !ReferenceEquals(g, without))] },
            StrangerJsonContext.Default.StrangerIndex);

    private string CropPath(string file) => Path.Combine(Folder, CropsFolderName, file);

    private static async Task WriteAtomicAsync(string path, byte[] bytes)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            // Not cancellable: once memory changed, the disk must follow.
            await File.WriteAllBytesAsync(temp, bytes, CancellationToken.None).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private void DeleteCrops(IEnumerable<KeptCrop> crops)
    {
        foreach (var crop in crops)
        {
            var path = CropPath(crop.File);
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.DeleteFailed(_logger, path, ex);
            }
        }
    }

    /// <summary>Crops and temporary files of the store that no index names (a crash between two writes): deleted.</summary>
    private void SweepUnnamed(HashSet<string> named)
    {
        var dir = Path.Combine(Folder, CropsFolderName);
        if (!Directory.Exists(dir))
        {
            return;
        }

        var unnamed = Directory.EnumerateFiles(dir)
            .Select(Path.GetFileName)
            .Where(f => f is not null && !named.Contains(f) && (CropFilePattern().IsMatch(f) || TempPattern().IsMatch(f)))
            .Select(f => new KeptCrop { File = f! })
            .ToList();
        DeleteCrops(unnamed);
        if (unnamed.Count > 0)
        {
            Log.SweptUnnamed(_logger, unnamed.Count, dir);
        }
    }

    private static string NewGroupId() => $"s-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5))}";

    [GeneratedRegex("^s-[0-9a-f]{6,32}$")]
    private static partial Regex GroupIdPattern();

    [GeneratedRegex("^c-[0-9a-f]{32}\\.jpg$")]
    private static partial Regex CropFilePattern();

    [GeneratedRegex("^\\.c-[0-9a-f]{32}\\.jpg\\.[0-9a-f]{32}\\.tmp$")]
    private static partial Regex TempPattern();
}

/// <summary>The index file.</summary>
internal sealed class StrangerIndex
{
    public string Format { get; set; } = "";

    public int Version { get; set; }

    public List<KeptGroup> Groups { get; set; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(StrangerIndex))]
internal sealed partial class StrangerJsonContext : JsonSerializerContext;
