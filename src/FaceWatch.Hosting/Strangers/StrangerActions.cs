using System.Globalization;
using FaceWatch.Core.Numerics;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Workers;

namespace FaceWatch.Hosting.Strangers;

/// <summary>Why a review action was refused; the web API turns it into a status code.</summary>
public enum StrangerActionError
{
    /// <summary>The id is not a stranger group id at all (bad characters or length).</summary>
    BadId,

    /// <summary>No group has this id (forgotten, expired, or never seen).</summary>
    UnknownGroup,

    /// <summary><c>Strangers:Enabled</c> is off: there is nothing to review.</summary>
    Disabled,

    /// <summary>No <c>Gallery:Path</c>: the demo gallery lives in memory and cannot take new faces.</summary>
    NoGallery,

    /// <summary>The person name is not valid or reserved.</summary>
    BadName,

    /// <summary>The faces do not fit the gallery: far from the person's enrolled faces, another model, none usable.</summary>
    Refused,

    /// <summary>The store could not delete the group (its folder cannot be written); what was done before is said.</summary>
    StoreFailed,
}

/// <summary>A refused review action; the message names the group (and the person) and says what to do.</summary>
public sealed class StrangerActionException(StrangerActionError error, string message) : Exception(message)
{
    public StrangerActionError Error { get; } = error;
}

/// <summary>What a review action did: the group, the person named (null for ignore and forget), how many faces went in.</summary>
public sealed record StrangerActionResult(string Group, string? Person, int Faces, bool NewPerson);

/// <summary>
/// The review of remembered strangers (issue 15): <see cref="NameAsync"/> enrolls a group's faces as a person,
/// <see cref="IgnoreAsync"/> keeps them as negative faces (never announced again, never matched to anyone),
/// <see cref="ForgetAsync"/> deletes them. Gallery changes go through <see cref="GalleryWatcher.EditAsync"/> (atomic,
/// live at once; MQTT/HA entities follow its <c>Changed</c> event). One action at a time, so a double click cannot
/// enroll a group twice: the second finds it gone.
/// </summary>
public sealed class StrangerActions : IDisposable
{
    /// <summary>Most faces one group adds to a person: the book keeps its best first, and a few good faces are enough.</summary>
    public const int MaxFacesPerName = 8;

    /// <summary>Longest group id accepted from a request.</summary>
    public const int MaxIdLength = 64;

    private static readonly string[] Reserved = [IdentityMatch.Unknown, "ignored"];

    private readonly IStrangerBook? _book;
    private readonly GalleryWatcher _gallery;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <param name="book">The stranger store; null when the daemon has none (the same as <c>Strangers:Enabled</c> off).</param>
    public StrangerActions(IStrangerBook? book, GalleryWatcher gallery, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        ArgumentNullException.ThrowIfNull(time);
        _book = book;
        _gallery = gallery;
        _time = time;
    }

    public bool Enabled => _book?.Enabled ?? false;

    /// <summary>Why an enabled store keeps nothing (its index file is damaged), or null.</summary>
    public string? Problem => Enabled ? _book!.Problem : null;

    /// <summary>Every group, most recently seen first (empty when disabled).</summary>
    public IReadOnlyList<StrangerGroup> Groups() => Enabled ? _book!.Groups() : [];

    /// <summary>The group, or null (also for an id that cannot be one).</summary>
    public StrangerGroup? Find(string? id) => Enabled && IdProblem(id) is null ? _book!.Find(id!) : null;

    /// <summary>The JPEG of one crop, or null.</summary>
    public byte[]? ReadCrop(string? id, int index) => Enabled && IdProblem(id) is null && index >= 0 ? _book!.ReadCrop(id!, index) : null;

    /// <summary>Null when <paramref name="id"/> can be a group id (1-64 letters, digits, '-', '_', '.'; no leading '.'); else what is wrong.</summary>
    public static string? IdProblem(string? id) =>
        string.IsNullOrEmpty(id) ? "is empty"
        : id.Length > MaxIdLength ? $"is longer than {MaxIdLength} characters"
        : id[0] == '.' || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ? "may hold only letters, digits, '-', '_' and '.'"
        : null;

    /// <summary>
    /// Enrolls the group's best faces (at most <see cref="MaxFacesPerName"/>, minus faces unlike the rest of the group) as
    /// <paramref name="person"/>, new or existing, then forgets the group. For an existing person the group must look like
    /// them (the mislabel check): else it is refused and the gallery file is not touched.
    /// </summary>
    public async Task<StrangerActionResult> NameAsync(string id, string person, CancellationToken cancellationToken)
    {
        if (PersonName.Problem(person) is { } problem)
        {
            throw new StrangerActionException(StrangerActionError.BadName, $"Person name '{PersonName.Escape(person)}' {problem}.");
        }

        if (Reserved.Any(r => string.Equals(r, person, StringComparison.OrdinalIgnoreCase)))
        {
            throw new StrangerActionException(StrangerActionError.BadName, $"Person name '{person}' is reserved: events use it for faces that are not a person.");
        }

        return await OneAtATimeAsync(id, async (book, embeddings) =>
        {
            var faces = Usable(id, embeddings);
            var isNew = false;
            await EditAsync(id, gallery =>
            {
                var existing = gallery.People.FirstOrDefault(p => p.Name == person);
                isNew = existing is null;
                CheckFits(id, person, faces, gallery);
                if (existing is not null && Mismatch(id, person, faces, existing, gallery.People) is { } refusal)
                {
                    throw new StrangerActionException(StrangerActionError.Refused, refusal);
                }

                var now = _time.GetUtcNow();
                return gallery.WithFaces(person, faces.Select(f => new EnrolledFace($"stranger:{id}/{f.Index.ToString(CultureInfo.InvariantCulture)}", f.Embedding)), now);
            }, cancellationToken).ConfigureAwait(false);
            await ForgetInBookAsync(book, id, $"named '{person}' ({faces.Count} faces enrolled)", cancellationToken).ConfigureAwait(false);
            return new StrangerActionResult(id, person, faces.Count, isNew);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Keeps the group's faces as negative faces (an ignored stranger: tracked, never announced, never named), then forgets the group.</summary>
    public Task<StrangerActionResult> IgnoreAsync(string id, CancellationToken cancellationToken) =>
        OneAtATimeAsync(id, async (book, embeddings) =>
        {
            var faces = embeddings.Where(Finite).ToArray();
            if (faces.Length == 0)
            {
                throw new StrangerActionException(StrangerActionError.Refused, $"Stranger group '{id}' has no usable face to ignore.");
            }

            await EditAsync(id, gallery =>
            {
                CheckFits(id, null, [.. faces.Select((e, i) => (i, e))], gallery);
                return gallery.WithNegatives(faces.Select(e => new NegativeFace(null, $"stranger:{id}", e)), _time.GetUtcNow());
            }, cancellationToken).ConfigureAwait(false);
            await ForgetInBookAsync(book, id, "ignored (its faces are negatives in the gallery)", cancellationToken).ConfigureAwait(false);
            return new StrangerActionResult(id, null, faces.Length, false);
        }, cancellationToken);

    /// <summary>Deletes the group's crops and embeddings.</summary>
    public Task<StrangerActionResult> ForgetAsync(string id, CancellationToken cancellationToken) =>
        OneAtATimeAsync(id, async (book, embeddings) =>
        {
            if (!await ForgetInBookAsync(book, id, null, cancellationToken).ConfigureAwait(false))
            {
                throw Unknown(id);
            }

            return new StrangerActionResult(id, null, embeddings.Count, false);
        }, cancellationToken);

    public void Dispose() => _one.Dispose();

    /// <summary>The book's forget; a store that cannot write says what was already done (<paramref name="done"/>) and that the group is still there.</summary>
    private static async Task<bool> ForgetInBookAsync(IStrangerBook book, string id, string? done, CancellationToken cancellationToken)
    {
        try
        {
            return await book.ForgetAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StrangerActionException(
                StrangerActionError.StoreFailed,
                $"Stranger group '{id}' {(done is null ? "was not forgotten" : $"was {done}, but is still remembered")}: the stranger store could not be changed: {e.Message} Forget it again with 'facewatch strangers forget {id}'.");
        }
    }

    private async Task<StrangerActionResult> OneAtATimeAsync(
        string id, Func<IStrangerBook, IReadOnlyList<float[]>, Task<StrangerActionResult>> action, CancellationToken cancellationToken)
    {
        if (IdProblem(id) is { } problem)
        {
            throw new StrangerActionException(StrangerActionError.BadId, $"Stranger group id '{PersonName.Escape(id?.Length > MaxIdLength ? id[..MaxIdLength] + "..." : id)}' {problem}.");
        }

        if (!Enabled)
        {
            throw new StrangerActionException(StrangerActionError.Disabled, "Strangers:Enabled is off: no strangers are remembered, so there is nothing to review.");
        }

        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Looked up inside the lock: the action before this one may have named or forgotten the group.
            if (_book!.Find(id) is null)
            {
                throw Unknown(id);
            }

            return await action(_book, _book.Embeddings(id)).ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task EditAsync(string id, Func<Gallery, Gallery> change, CancellationToken cancellationToken)
    {
        try
        {
            await _gallery.EditAsync(change, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw new StrangerActionException(StrangerActionError.NoGallery, $"Stranger group '{id}' was kept: {e.Message} Set Gallery:Path to a gallery file made by 'facewatch enroll'.");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or GalleryModelMismatchException or ArgumentException)
        {
            throw new StrangerActionException(StrangerActionError.Refused, $"Stranger group '{id}' was kept: the gallery file could not be changed: {e.Message}");
        }
    }

    /// <summary>The group's best faces that look like the rest of the group (a face unlike the others is someone else), with their index in the book.</summary>
    private static List<(int Index, float[] Embedding)> Usable(string id, IReadOnlyList<float[]> embeddings)
    {
        var best = embeddings.Select((e, i) => (Index: i, Embedding: e)).Where(f => Finite(f.Embedding)).Take(MaxFacesPerName).ToList();
        if (best.Count == 0)
        {
            throw new StrangerActionException(StrangerActionError.Refused, $"Stranger group '{id}' has no usable face to enroll.");
        }

        if (best.Select(f => f.Embedding.Length).Distinct().Count() > 1)
        {
            throw new StrangerActionException(StrangerActionError.Refused, $"Stranger group '{id}' holds embeddings of different lengths; forget it.");
        }

        var centre = VectorMath.Centroid([.. best.Select(f => f.Embedding)]);
        var kept = best.Where(f => VectorMath.Dot(centre, f.Embedding) >= MislabelCheck.MinOwnSimilarity).ToList();
        return kept.Count > 0 ? kept
            : throw new StrangerActionException(StrangerActionError.Refused, $"Stranger group '{id}': its faces do not look like one person (each is far from the rest); forget it instead.");
    }

    private static void CheckFits(string id, string? person, List<(int Index, float[] Embedding)> faces, Gallery gallery)
    {
        if (faces[0].Embedding.Length != gallery.Model.Dimension)
        {
            throw new StrangerActionException(
                StrangerActionError.Refused,
                $"Stranger group '{id}' was not {(person is null ? "ignored" : $"named '{person}'")}: its embeddings have {faces[0].Embedding.Length} values, the gallery's model ({gallery.Model.ModelFile}) makes {gallery.Model.Dimension}; forget it.");
        }
    }

    /// <summary>
    /// The mislabel check for naming a group as someone already enrolled (<see cref="MislabelCheck"/>'s rule, with the
    /// group as one face): refused when the group's centre is far from the person's enrolled faces or nearer someone else's.
    /// Checked against the person's faces as they are, not with the group's added (those would vouch for themselves).
    /// </summary>
    private static string? Mismatch(string id, string person, IReadOnlyList<(int Index, float[] Embedding)> faces, EnrolledPerson existing, IReadOnlyList<EnrolledPerson> people)
    {
        var group = VectorMath.Centroid([.. faces.Select(f => f.Embedding)]);
        var own = VectorMath.Dot(VectorMath.Centroid([.. existing.Faces.Select(f => f.Embedding)]), group);
        var closer = people.Where(p => p.Name != person && p.Faces.Count > 0)
            .Select(p => (p.Name, Similarity: VectorMath.Dot(VectorMath.Centroid([.. p.Faces.Select(f => f.Embedding)]), group)))
            .OrderByDescending(p => p.Similarity)
            .FirstOrDefault();
        if (closer.Name is not null && closer.Similarity > own)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"Stranger group '{id}' was not named '{person}': it looks more like '{closer.Name}' (similarity {closer.Similarity:F2}) than like '{person}' ({own:F2}). Check the crops; name it '{closer.Name}' or forget it.");
        }

        return own < MislabelCheck.MinOwnSimilarity
            ? string.Create(CultureInfo.InvariantCulture,
                $"Stranger group '{id}' was not named '{person}': it is far from {person}'s {existing.Faces.Count} enrolled faces (similarity {own:F2}, at least {MislabelCheck.MinOwnSimilarity:F2} needed). Check the crops; name it someone else or forget it.")
            : null;
    }

    private static bool Finite(float[] embedding) => embedding.Length > 0 && embedding.All(float.IsFinite);

    private static StrangerActionException Unknown(string id) =>
        new(StrangerActionError.UnknownGroup, $"No stranger group '{id}' (forgotten, named, expired, or never seen): list them with 'facewatch strangers list'.");
}
