using OpenCvSharp;

namespace FaceWatch.Commands;

/// <summary>
/// Names and writes the images of <c>--out</c>: never over an existing file (so never over an input photo, even with
/// <c>--out</c> pointing at the photos' own folder), and never two outputs of one run under the same name (inputs that
/// share a stem, <c>a.gif</c> and <c>a.webp</c>, or <c>x/a.jpg</c> and <c>y/a.jpg</c>). A taken name gets <c>-2</c>,
/// <c>-3</c>, ... after the stem; files are created exclusively, so a file appearing meanwhile is not overwritten either.
/// </summary>
internal sealed class OutputFiles
{
    private readonly string _dir;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inputs;

    public OutputFiles(string dir, IEnumerable<string> inputs)
    {
        _dir = Path.GetFullPath(dir);
        _inputs = inputs.Select(Path.GetFullPath).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Creates the folder (and its parents) if missing. A path that exists but is no folder is an error naming it.
    /// </summary>
    public static OutputFiles Create(string dir, IEnumerable<string> inputs)
    {
        if (File.Exists(dir))
        {
            throw new IOException($"--out '{dir}' is a file, not a folder.");
        }

        Directory.CreateDirectory(dir);
        return new OutputFiles(dir, inputs);
    }

    /// <summary>
    /// Free paths for one input's outputs, one per suffix (e.g. <c>.faces.jpg</c>, <c>.face1.png</c>), all with the same
    /// stem: <c>photo.faces.jpg</c>, or <c>photo-2.faces.jpg</c> when any of them is taken.
    /// </summary>
    public string[] Reserve(string input, params string[] suffixes)
    {
        var stem = Path.GetFileNameWithoutExtension(input);
        if (stem.Length == 0)
        {
            stem = "image";
        }

        for (var n = 1; ; n++)
        {
            var candidate = n == 1 ? stem : $"{stem}-{n}";
            var paths = suffixes.Select(s => Path.Combine(_dir, candidate + s)).ToArray();
            if (paths.All(p => !_used.Contains(p) && !_inputs.Contains(p) && !Path.Exists(p)))
            {
                _used.UnionWith(paths);
                return paths;
            }
        }
    }

    /// <summary>Encodes <paramref name="image"/> by <paramref name="path"/>'s extension into a new file (never over an existing one).</summary>
    public static void Write(string path, Mat image)
    {
        if (!Cv2.ImEncode(Path.GetExtension(path), image, out var bytes))
        {
            throw new IOException($"Could not encode '{path}'.");
        }

        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        file.Write(bytes);
    }
}
