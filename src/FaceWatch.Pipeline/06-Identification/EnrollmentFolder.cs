using FaceWatch.Core.Imaging;

namespace FaceWatch.Pipeline.Identification;

/// <summary>A person's folder, the image files in it, and what in it was not read (and why).</summary>
public sealed record PersonFolder(string Name, string Path, IReadOnlyList<string> Files)
{
    public IReadOnlyList<SkippedEntry> Skipped { get; init; } = [];
}

/// <summary>A file or folder that enrollment did not read, and why (the reason completes "'path' ...").</summary>
public sealed record SkippedEntry(string Path, string Reason)
{
    public string Message => $"'{Path}' {Reason}: skipped.";
}

/// <summary>The layout found under an enrollment folder: the person folders and the entries beside them that were skipped.</summary>
public sealed record EnrollmentLayout(IReadOnlyList<PersonFolder> People, IReadOnlyList<SkippedEntry> Skipped);

/// <summary>
/// Reads the enrollment layout <c>DIR/&lt;person&gt;/*.jpg</c> (any image format, decoded by content later). Only regular
/// files directly inside a person folder are read; everything else (loose photos in DIR, sub-folders, hidden files,
/// other file types, devices, FIFOs, sockets) is reported as skipped, never silently ignored. Two person folders that
/// are the same folder (a symbolic link) are refused.
/// </summary>
public static class EnrollmentFolder
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".pgm", ".ppm", ".pbm", "",
    };

    /// <summary>One entry per person subfolder, in name order (empty folders included, with no files).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder has no person subfolders, or two of them are the same folder.</exception>
    public static IReadOnlyList<PersonFolder> Scan(string dir) => ScanLayout(dir).People;

    /// <summary>The person folders and the skipped entries beside them.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder has no person subfolders, or two of them are the same folder.</exception>
    public static EnrollmentLayout ScanLayout(string dir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        var kind = SafeFile.KindOf(dir, out _);
        if (kind == FileKind.Missing)
        {
            throw new DirectoryNotFoundException($"Folder '{dir}' does not exist.");
        }

        if (kind != FileKind.Directory)
        {
            throw new InvalidDataException($"'{dir}' is {SafeFile.Describe(kind)}, not a folder of person folders.");
        }

        var skipped = new List<SkippedEntry>();
        var people = new List<PersonFolder>();
        var loose = 0;
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            var name = System.IO.Path.GetFileName(entry);
            var entryKind = SafeFile.KindOf(entry, out _);
            if (name.StartsWith('.'))
            {
                skipped.Add(new(entry, entryKind == FileKind.Directory ? "is a hidden folder" : "is a hidden file"));
                continue;
            }

            if (entryKind == FileKind.Regular)
            {
                loose++;
                skipped.Add(new(entry, "is not in a person folder (photos go in DIR/<name>/)"));
                continue;
            }

            if (entryKind != FileKind.Directory)
            {
                skipped.Add(new(entry, entryKind == FileKind.Missing ? "is a broken symbolic link" : $"is {SafeFile.Describe(entryKind)}"));
                continue;
            }

            var identity = SafeFile.Identity(entry);
            if (seen.TryGetValue(identity, out var first))
            {
                throw new InvalidDataException(
                    $"Person folders '{first}' and '{entry}' are the same folder (a symbolic link): the same photos would become two people. Remove one of them.");
            }

            seen[identity] = entry;
            var files = ImageFiles(entry, out var personSkipped);
            people.Add(new PersonFolder(name, entry, files) { Skipped = personSkipped });
        }

        if (people.Count == 0)
        {
            throw new InvalidDataException(
                $"Folder '{dir}' has no person subfolders{(loose > 0 ? $" (it has {loose} files directly inside)" : "")}. " +
                $"Put each person's photos in a subfolder named after them: {System.IO.Path.Combine(dir, "<name>", "photo.jpg")}.");
        }

        return new EnrollmentLayout(people, skipped);
    }

    /// <summary>Image files in <paramref name="dir"/> (not recursive, hidden files skipped), in name order.</summary>
    public static IReadOnlyList<string> ImageFiles(string dir) => ImageFiles(dir, out _);

    /// <summary>Regular image files directly in <paramref name="dir"/>, in name order; every other entry with why it was skipped.</summary>
    public static IReadOnlyList<string> ImageFiles(string dir, out IReadOnlyList<SkippedEntry> skipped)
    {
        var files = new List<string>();
        var other = new List<SkippedEntry>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            var name = System.IO.Path.GetFileName(entry);
            var kind = SafeFile.KindOf(entry, out _);
            if (kind == FileKind.Directory)
            {
                other.Add(new(entry, "is a sub-folder (only photos directly in a person folder are read)"));
            }
            else if (name.StartsWith('.'))
            {
                other.Add(new(entry, "is a hidden file"));
            }
            else if (kind == FileKind.Missing)
            {
                other.Add(new(entry, "is a broken symbolic link"));
            }
            else if (kind != FileKind.Regular)
            {
                other.Add(new(entry, $"is {SafeFile.Describe(kind)}"));
            }
            else if (!ImageExtensions.Contains(System.IO.Path.GetExtension(name)))
            {
                other.Add(new(entry, $"is not an image file name ({System.IO.Path.GetExtension(name)})"));
            }
            else
            {
                files.Add(entry);
            }
        }

        skipped = other;
        return files;
    }
}
