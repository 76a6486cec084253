using FaceWatch.Pipeline.Identification;
using Microsoft.Extensions.Logging;

using FaceWatch.Pipeline.Embedding;
namespace FaceWatch.Pipeline.Workers;

/// <summary>
/// Holds the current <see cref="Identifier"/> and swaps in a new one when the gallery file changes on disk (after
/// <c>facewatch enroll</c>), polled on a <see cref="TimeProvider"/> timer. Tracks and their evidence are untouched by a
/// reload; a file that fails to load keeps the previous gallery. Without a path every face is unknown.
/// </summary>
public sealed class GalleryWatcher : IGalleryStatus, IEnrolledPeople, IDisposable
{
    private readonly string? _path;
    private readonly EmbeddingModelIdentity? _expected;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private Identifier? _current;
    private (DateTime Written, long Length) _stamp;
    private IReadOnlyList<string>? _names;
    private readonly SemaphoreSlim _edits = new(1, 1);

    public GalleryWatcher(string? path, EmbeddingModelIdentity? expected, TimeProvider time, ILogger logger, TimeSpan? interval = null)
    {
        _path = string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path);
        _expected = expected;
        _time = time;
        _logger = logger;
        _interval = interval ?? TimeSpan.FromSeconds(2);
    }

    public Identifier? Current => Volatile.Read(ref _current);

    public GalleryStatus? Status => Current?.Gallery is { } g ? new GalleryStatus(g.People.Count, g.FaceCount) : null;

    /// <summary>The enrolled names in name order; null before <see cref="Load"/> or <see cref="Use"/>.</summary>
    public IReadOnlyList<string>? Names => Volatile.Read(ref _names);

    /// <summary>Raised after the first load and every reload (not when a changed file failed to load).</summary>
    public event Action? Changed;

    /// <summary>How many times a changed gallery was loaded after the first load.</summary>
    public int Reloads { get; private set; }

    /// <summary>First load: throws when the configured gallery cannot be used, so the daemon fails at start.</summary>
    public void Load()
    {
        if (_path is null)
        {
            Log.NoGallery(_logger);
            Volatile.Write(ref _names, []);
            Changed?.Invoke();
            return;
        }

        _stamp = Stamp(_path);
        Swap(GalleryStore.Load(_path, _expected));
    }

    /// <summary>Uses a gallery built in memory (the demo); no file to watch.</summary>
    public void Use(Gallery gallery, string label)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        Volatile.Write(ref _current, new Identifier(gallery));
        Volatile.Write(ref _names, [.. gallery.People.Select(p => p.Name).Order(StringComparer.Ordinal)]);
        var t = gallery.Thresholds;
        Log.GalleryLoaded(
            _logger, label, gallery.People.Count, gallery.FaceCount, t.Score, t.Probability, t.StrangerRate, t.Method, gallery.SameFace.Cosine, gallery.SameFace.Method,
            NegativeSummary.Of(gallery).Describe());
        Changed?.Invoke();
    }

    /// <summary>The current gallery's same-person cosine for tracks (the default without a gallery).</summary>
    public double SameFace => Current?.Gallery.SameFace.Cosine ?? SameFaceCalibration.Default;

    public IdentityMatch Identify(float[] embedding) =>
        Current?.Identify(embedding) ?? new IdentityMatch(IdentityMatch.Unknown, false, 0, 0, null);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_path is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                CheckOnce();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    /// <summary>Reloads if the file's time or size changed since the last load.</summary>
    public bool CheckOnce()
    {
        if (_path is null)
        {
            return false;
        }

        var stamp = Stamp(_path);
        if (stamp == _stamp || stamp.Length < 0)
        {
            return false;
        }

        try
        {
            var gallery = GalleryStore.Load(_path, _expected);
            _stamp = stamp;
            Swap(gallery);
            Reloads++;
            return true;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or GalleryModelMismatchException or UnauthorizedAccessException)
        {
            _stamp = stamp; // warn once per version of the file
            Log.GalleryReloadFailed(_logger, _path, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Changes the gallery file from inside the daemon (naming a stranger, ignoring one, rejecting a match): reads the
    /// file as it is now (a <c>facewatch enroll</c> may have changed it), applies <paramref name="change"/>, writes it
    /// atomically and swaps it in at once. One edit at a time; a <paramref name="change"/> that throws leaves the file
    /// untouched. Throws <see cref="InvalidOperationException"/> without <c>Gallery:Path</c> (the demo gallery is not saved).
    /// </summary>
    public async Task<Gallery> EditAsync(Func<Gallery, Gallery> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (_path is null)
        {
            throw new InvalidOperationException("Gallery:Path is not set: there is no gallery file to change (the demo gallery lives in memory only).");
        }

        await _edits.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var changed = change(GalleryStore.Load(_path, _expected));
            GalleryStore.Save(changed, _path);
            _stamp = Stamp(_path);
            Swap(changed);
            Reloads++;
            return changed;
        }
        finally
        {
            _edits.Release();
        }
    }

    public void Dispose() => _edits.Dispose();

    private void Swap(Gallery gallery) => Use(gallery, _path!);

    private static (DateTime Written, long Length) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }
}
