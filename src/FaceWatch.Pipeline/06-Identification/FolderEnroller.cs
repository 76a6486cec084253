using FaceWatch.Pipeline.Embedding;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Pipeline.Identification;

public enum EnrollmentIssueKind
{
    /// <summary>Not a readable image: skipped.</summary>
    Unreadable,

    /// <summary>No face found: skipped.</summary>
    NoFace,

    /// <summary>Several faces: the largest was used.</summary>
    SeveralFaces,

    /// <summary>Face far from the rest of the person's faces: likely mislabelled.</summary>
    Suspect,

    /// <summary>A person folder without images.</summary>
    EmptyFolder,

    /// <summary>A person none of whose images gave a face.</summary>
    NoUsableFace,

    /// <summary>Not read at all: a loose photo, a sub-folder, a hidden file, another file type, a device or FIFO.</summary>
    Skipped,

    /// <summary>A person folder whose name cannot be a person's name.</summary>
    BadName,
}

/// <summary>Something enrollment wants the user to know about a file or a person.</summary>
public sealed record EnrollmentIssue(EnrollmentIssueKind Kind, string Person, string File, string Message);

/// <summary>Per person: images found, faces used, images skipped and why.</summary>
public sealed record PersonSummary(string Name, int Images, int Used, int Unreadable, int NoFace, int SeveralFaces, int Suspect);

/// <summary>Progress of a long enrollment: <paramref name="Done"/> of <paramref name="Total"/> images read.</summary>
public readonly record struct EnrollmentProgress(int Done, int Total, string File);

/// <summary>What an enrollment run produced.</summary>
public sealed record EnrollmentResult(Gallery Gallery, IReadOnlyList<PersonSummary> People, IReadOnlyList<EnrollmentIssue> Issues);

/// <summary>How <see cref="FolderEnroller"/> treats its photos.</summary>
public sealed record EnrollmentSettings
{
    /// <summary>Photos are already aligned face crops: no detection.</summary>
    public bool Aligned { get; init; }

    /// <summary>Keep faces flagged as likely mislabelled in the gallery (they are left out by default).</summary>
    public bool KeepSuspects { get; init; }

    /// <summary>Crops per embedding call.</summary>
    public int BatchSize { get; init; } = 32;
}

/// <summary>
/// Enrolls people from photos: reads each photo (largest face if several), embeds the crops in batches,
/// flags faces that look mislabelled, and trains a <see cref="Gallery"/>. Used by <c>facewatch enroll</c> and
/// by the daemon's first-start demo enrollment.
/// </summary>
public sealed class FolderEnroller(
    PhotoFaceReader reader, IFaceEmbedder embedder, EmbeddingModelIdentity model, TimeProvider time, GalleryCalibration? calibration = null)
{
    /// <summary>Enrolls every person subfolder of <paramref name="dir"/>.</summary>
    /// <exception cref="InvalidDataException">No person subfolders, two that are the same folder, or nobody could be enrolled.</exception>
    public EnrollmentResult Enroll(
        string dir, EnrollmentSettings settings, IProgress<EnrollmentProgress>? progress = null, CancellationToken ct = default)
    {
        var layout = EnrollmentFolder.ScanLayout(dir);
        var issues = new List<EnrollmentIssue>();
        issues.AddRange(layout.Skipped.Select(s => new EnrollmentIssue(EnrollmentIssueKind.Skipped, "", s.Path, s.Message)));
        var folders = new List<PersonFolder>();
        foreach (var folder in layout.People)
        {
            issues.AddRange(folder.Skipped.Select(s => new EnrollmentIssue(EnrollmentIssueKind.Skipped, folder.Name, s.Path, s.Message)));
            if (PersonName.Problem(folder.Name) is { } problem)
            {
                issues.Add(new(EnrollmentIssueKind.BadName, folder.Name, folder.Path,
                    $"Person folder '{folder.Path}': the name {problem}; rename the folder. Skipped."));
                continue;
            }

            folders.Add(folder);
        }

        var total = folders.Sum(f => f.Files.Count);
        var done = 0;
        var people = new List<EnrolledPerson>();
        foreach (var folder in folders)
        {
            if (folder.Files.Count == 0)
            {
                issues.Add(new(EnrollmentIssueKind.EmptyFolder, folder.Name, folder.Path,
                    $"Person folder '{folder.Path}' has no images: {folder.Name} is not enrolled."));
                continue;
            }

            var faces = EmbedFiles(folder.Name, folder.Files, f => Path.GetRelativePath(dir, f), settings, issues, file =>
                progress?.Report(new EnrollmentProgress(++done, total, file)), ct);
            if (faces.Count == 0)
            {
                issues.Add(new(EnrollmentIssueKind.NoUsableFace, folder.Name, folder.Path,
                    $"No usable face in '{folder.Path}': {folder.Name} is not enrolled."));
                continue;
            }

            people.Add(new EnrolledPerson(folder.Name, faces));
        }

        if (people.Count == 0)
        {
            throw new InvalidDataException($"Nobody could be enrolled from '{dir}': no person folder had a usable face.");
        }

        people = RemoveSuspects(people, settings, issues);
        var gallery = Gallery.Create(model, people, time.GetUtcNow(), calibration: calibration);
        return new EnrollmentResult(gallery, Summarise(folders.Select(f => (f.Name, f.Files.Count)), gallery, issues), issues);
    }

    /// <summary>Adds <paramref name="files"/> as faces of <paramref name="name"/> to <paramref name="gallery"/>.</summary>
    public EnrollmentResult Add(
        Gallery gallery, string name, IReadOnlyList<string> files, EnrollmentSettings settings, IProgress<EnrollmentProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        PersonName.ThrowIfInvalid(name);
        var issues = new List<EnrollmentIssue>();
        var done = 0;
        var faces = EmbedFiles(name, files, Path.GetFullPath, settings, issues, f => progress?.Report(new(++done, files.Count, f)), ct);
        if (faces.Count == 0)
        {
            throw new InvalidDataException($"None of the {files.Count} images for '{name}' had a usable face; the gallery is unchanged.");
        }

        var updated = gallery.WithFaces(name, faces, time.GetUtcNow());
        var counts = updated.People.Select(p => (p.Name, p.Name == name ? files.Count : 0));
        return new EnrollmentResult(updated, Summarise(counts, updated, issues).Where(p => p.Name == name).ToArray(), issues);
    }

    /// <summary>Reads and embeds files, one face each (the largest); skipped files become issues.</summary>
    public List<EnrolledFace> EmbedFiles(
        string person, IReadOnlyList<string> files, Func<string, string> sourceName, EnrollmentSettings settings,
        List<EnrollmentIssue> issues, Action<string>? onFile = null, CancellationToken ct = default)
    {
        var faces = new List<EnrolledFace>();
        var pending = new List<(string Source, Mat Crop)>();
        try
        {
            foreach (var file in files)
            {
                ct.ThrowIfCancellationRequested();
                var crop = ReadLargestFace(person, file, settings.Aligned, issues);
                onFile?.Invoke(file);
                if (crop is null)
                {
                    continue;
                }

                pending.Add((sourceName(file), crop));
                if (pending.Count >= settings.BatchSize)
                {
                    Flush(pending, faces);
                }
            }

            Flush(pending, faces);
        }
        finally
        {
            foreach (var (_, crop) in pending)
            {
                crop.Dispose();
            }
        }

        return faces;
    }

    /// <summary>Reads <paramref name="file"/> and returns a copy of its largest face's crop (the caller owns it), or null with an issue.</summary>
    internal Mat? ReadLargestFace(string person, string file, bool aligned, List<EnrollmentIssue> issues)
    {
        try
        {
            using var photo = reader.Read(file, aligned);
            if (photo.Faces.Count == 0)
            {
                issues.Add(new(EnrollmentIssueKind.NoFace, person, file, $"No face found in '{file}': skipped."));
                return null;
            }

            if (photo.Faces.Count > 1)
            {
                issues.Add(new(EnrollmentIssueKind.SeveralFaces, person, file,
                    $"{photo.Faces.Count} faces in '{file}': using the largest ({photo.Faces[0].Box.Width:F0}x{photo.Faces[0].Box.Height:F0} px)."));
            }

            return photo.Faces[0].Crop.Clone();
        }
        catch (ImageLoadException ex)
        {
            issues.Add(new(EnrollmentIssueKind.Unreadable, person, file, $"{ex.Message} Skipped."));
            return null;
        }
    }

    private void Flush(List<(string Source, Mat Crop)> pending, List<EnrolledFace> faces)
    {
        if (pending.Count == 0)
        {
            return;
        }

        var embeddings = embedder.Embed(pending.Select(p => p.Crop).ToArray());
        for (var i = 0; i < pending.Count; i++)
        {
            faces.Add(new EnrolledFace(pending[i].Source, embeddings[i]));
            pending[i].Crop.Dispose();
        }

        pending.Clear();
    }

    private static List<EnrolledPerson> RemoveSuspects(List<EnrolledPerson> people, EnrollmentSettings settings, List<EnrollmentIssue> issues)
    {
        var suspects = MislabelCheck.Find(people);
        foreach (var s in suspects)
        {
            issues.Add(new(EnrollmentIssueKind.Suspect, s.Person, s.Face.Source,
                $"'{s.Face.Source}' is likely mislabelled: {s.Reason}; {(settings.KeepSuspects ? "kept" : "left out")}."));
        }

        if (settings.KeepSuspects || suspects.Count == 0)
        {
            return people;
        }

        var drop = suspects.Select(s => s.Face).ToHashSet();
        return people.Select(p => p with { Faces = p.Faces.Where(f => !drop.Contains(f)).ToArray() }).ToList();
    }

    private static PersonSummary[] Summarise(IEnumerable<(string Name, int Images)> folders, Gallery gallery, List<EnrollmentIssue> issues) =>
        folders.Select(f =>
        {
            int Count(EnrollmentIssueKind k) => issues.Count(i => i.Person == f.Name && i.Kind == k);
            var used = gallery.People.FirstOrDefault(p => p.Name == f.Name)?.Faces.Count ?? 0;
            return new PersonSummary(f.Name, f.Images, used, Count(EnrollmentIssueKind.Unreadable), Count(EnrollmentIssueKind.NoFace),
                Count(EnrollmentIssueKind.SeveralFaces), Count(EnrollmentIssueKind.Suspect));
        }).ToArray();
}
