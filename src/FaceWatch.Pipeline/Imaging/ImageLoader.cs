using OpenCvSharp;

namespace FaceWatch.Pipeline.Imaging;

/// <summary>The image at <see cref="Path"/> could not be read or decoded.</summary>
public sealed class ImageLoadException : Exception
{
    public ImageLoadException(string path, string message, Exception? inner = null)
        : base(message, inner)
    {
        Path = path;
    }

    public string Path { get; }
}

/// <summary>
/// Reads photos by content, not by file name: a ".jpg" that is really a PNG or WebP decodes fine.
/// Always returns 8-bit BGR (grey, BGRA and 16-bit images are converted). JPEG EXIF orientation is applied.
/// </summary>
public static class ImageLoader
{
    private const long MaxFileBytes = 256L * 1024 * 1024;

    /// <summary>Decodes the file; the caller owns the returned <see cref="Mat"/>.</summary>
    /// <exception cref="ImageLoadException">Missing, unreadable, too large or not an image; the message names the file.</exception>
    public static Mat Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new ImageLoadException(path, $"Image '{path}' does not exist.");
            }

            if (info.Length > MaxFileBytes)
            {
                throw new ImageLoadException(path, $"Image '{path}' is too large ({info.Length} bytes).");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageLoadException(path, $"Image '{path}' cannot be read: {e.Message}", e);
        }

        return Decode(bytes, path);
    }

    /// <summary>Decodes encoded image bytes (PNG, JPEG, WebP, BMP, TIFF, ...); <paramref name="name"/> is used in errors.</summary>
    public static Mat Decode(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length == 0)
        {
            throw new ImageLoadException(name, $"Image '{name}' is an empty file.");
        }

        // JPEG has no alpha or 16-bit variant worth keeping, but it has EXIF orientation, which only the colour mode applies.
        var isJpeg = bytes.Length > 2 && bytes[0] == 0xFF && bytes[1] == 0xD8;
        var mode = isJpeg ? ImreadModes.Color : ImreadModes.Unchanged;
        Mat decoded;
        try
        {
            decoded = Cv2.ImDecode(bytes, mode);
        }
        catch (OpenCVException e)
        {
            throw new ImageLoadException(name, $"Image '{name}' is not a readable image: {e.Message}", e);
        }

        if (decoded.Empty())
        {
            decoded.Dispose();
            throw new ImageLoadException(name, $"Image '{name}' is not a readable image (unknown format or corrupt data).");
        }

        if (ImageConversion.IsBgr8(decoded))
        {
            return decoded;
        }

        using (decoded)
        {
            try
            {
                return ImageConversion.ToBgr8(decoded, name);
            }
            catch (ArgumentException e)
            {
                throw new ImageLoadException(name, e.Message, e);
            }
        }
    }
}
