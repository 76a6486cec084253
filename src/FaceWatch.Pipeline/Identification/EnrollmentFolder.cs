namespace FaceWatch.Pipeline.Identification;

/// <summary>A person's folder and the image files in it.</summary>
public sealed record PersonFolder(string Name, string Path, IReadOnlyList<string> Files);

/// <summary>Reads the enrollment layout <c>DIR/&lt;person&gt;/*.jpg</c> (any image format, decoded by content later).</summary>
public static class EnrollmentFolder
{
    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".tif", ".tiff", ".jp2", ".pgm", ".ppm", ".pbm", "",
    };

    /// <summary>One entry per person subfolder, in name order (empty folders included, with no files).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder has no person subfolders.</exception>
    public static IReadOnlyList<PersonFolder> Scan(string dir)
    {
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"Folder '{dir}' does not exist.");
        }

        var people = Directory.GetDirectories(dir)
            .Where(d => !System.IO.Path.GetFileName(d).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .Select(d => new PersonFolder(System.IO.Path.GetFileName(d), d, ImageFiles(d)))
            .ToArray();
        if (people.Length == 0)
        {
            var loose = ImageFiles(dir).Count;
            throw new InvalidDataException(
                $"Folder '{dir}' has no person subfolders{(loose > 0 ? $" (it has {loose} images directly inside)" : "")}. " +
                $"Put each person's photos in a subfolder named after them: {System.IO.Path.Combine(dir, "<name>", "photo.jpg")}.");
        }

        return people;
    }

    /// <summary>Image files in <paramref name="dir"/> (not recursive, hidden files skipped), in name order.</summary>
    public static IReadOnlyList<string> ImageFiles(string dir) =>
        Directory.GetFiles(dir)
            .Where(f => !System.IO.Path.GetFileName(f).StartsWith('.') && ImageExtensions.Contains(System.IO.Path.GetExtension(f)))
            .Order(StringComparer.Ordinal)
            .ToArray();
}
