using System.Globalization;
using OpenCvSharp;

namespace FaceWatch.Core.Imaging;

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
/// Only regular files are read (not devices, FIFOs or directories), at most 256 MB, and only images whose header
/// declares at most <c>maxPixels</c> pixels are decoded.
/// </summary>
public static class ImageLoader
{
    public const long MaxFileBytes = 256L * 1024 * 1024;

    /// <summary>Decodes the file; the caller owns the returned <see cref="Mat"/>.</summary>
    /// <exception cref="ImageLoadException">Missing, not a file, unreadable, too large or not an image; the message names the file.</exception>
    public static Mat Load(string path, long maxPixels = ImageOptions.DefaultMaxPixels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = SafeFile.ReadRegular(path, MaxFileBytes, out _);
        }
        catch (FileNotFoundException e)
        {
            throw new ImageLoadException(path, $"Image '{path}' does not exist.", e);
        }
        catch (NotAFileException e)
        {
            throw new ImageLoadException(path, $"Image '{path}' is {e.Message}.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageLoadException(path, $"Image '{path}' cannot be read: {e.Message}", e);
        }

        return Decode(bytes, path, maxPixels);
    }

    /// <summary>
    /// Decodes encoded image bytes (JPEG, PNG, WebP, GIF, BMP, TIFF, PNM); <paramref name="name"/> is used in errors.
    /// The header is read first: more than <paramref name="maxPixels"/> pixels, or a format whose size cannot be read,
    /// is refused without decoding.
    /// </summary>
    public static Mat Decode(ReadOnlySpan<byte> bytes, string name, long maxPixels = ImageOptions.DefaultMaxPixels)
    {
        if (bytes.Length == 0)
        {
            throw new ImageLoadException(name, $"Image '{name}' is an empty file.");
        }

        var header = ImageHeader.Read(bytes);
        if (header is not { } h)
        {
            throw new ImageLoadException(name,
                $"Image '{name}' is not a readable image (unknown format or cut-short header; supported: {ImageHeader.SupportedFormats}).");
        }

        if (h.Width <= 0 || h.Height <= 0)
        {
            throw new ImageLoadException(name, $"Image '{name}' declares an empty size ({h.Width}x{h.Height}).");
        }

        if (h.Width * h.Height > maxPixels)
        {
            throw new ImageLoadException(name, string.Create(CultureInfo.InvariantCulture,
                $"Image '{name}' is too large to decode: its {h.Format} header declares {h.Width}x{h.Height} = {h.Width * h.Height:N0} pixels, over the limit of {maxPixels:N0} pixels (Images:MaxPixels)."));
        }

        // JPEG has no alpha or 16-bit variant worth keeping, but it has EXIF orientation, which only the colour mode applies.
        var isJpeg = h.Format == "JPEG";
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

        if ((long)decoded.Width * decoded.Height > maxPixels)
        {
            decoded.Dispose();
            throw new ImageLoadException(name, string.Create(CultureInfo.InvariantCulture,
                $"Image '{name}' is too large: {decoded.Width}x{decoded.Height} pixels, over the limit of {maxPixels:N0} pixels (Images:MaxPixels)."));
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
