using OpenCvSharp;

using FaceWatch.Core.Imaging;
namespace FaceWatch.Tests.Core.Imaging;

public sealed class ImageLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-imageloader-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, Mat image, string ext)
    {
        Cv2.ImEncode(ext, image, out var bytes);
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void A_png_named_jpg_decodes_by_content()
    {
        using var source = new Mat(20, 30, MatType.CV_8UC3, new Scalar(10, 20, 30));
        var path = Write("photo.jpg", source, ".png");

        using var image = ImageLoader.Load(path);

        Assert.Equal(MatType.CV_8UC3, image.Type());
        Assert.Equal(new Vec3b(10, 20, 30), image.At<Vec3b>(5, 5));
    }

    [Fact]
    public void The_webp_and_png_files_named_jpg_in_the_enrollment_data_decode()
    {
        var webp = TestPaths.Data("faces", "jurassic", "owen_grady", "00000014.jpg");
        using var image = ImageLoader.Load(webp);
        Assert.Equal(MatType.CV_8UC3, image.Type());
        Assert.True(image.Width > 50);
    }

    [Fact]
    public void A_32_bit_png_becomes_bgr()
    {
        using var image = ImageLoader.Load(TestPaths.Data("images", "32bit.png"));
        Assert.Equal(MatType.CV_8UC3, image.Type());
    }

    [Fact]
    public void Transparent_pixels_become_white_and_opaque_ones_keep_their_colour()
    {
        using var bgra = new Mat(10, 10, MatType.CV_8UC4, new Scalar(0, 0, 200, 255));
        bgra.Set(0, 0, new Vec4b(0, 0, 200, 0));
        var path = Write("cutout.png", bgra, ".png");

        using var image = ImageLoader.Load(path);

        Assert.Equal(new Vec3b(255, 255, 255), image.At<Vec3b>(0, 0));
        Assert.Equal(new Vec3b(0, 0, 200), image.At<Vec3b>(5, 5));
    }

    [Fact]
    public void Sixteen_bit_and_grey_images_become_8_bit_bgr()
    {
        using var deep = new Mat(8, 8, MatType.CV_16UC3, new Scalar(65535, 0, 32896));
        using var grey = new Mat(8, 8, MatType.CV_8UC1, Scalar.All(77));

        using var fromDeep = ImageLoader.Load(Write("deep.png", deep, ".png"));
        using var fromGrey = ImageLoader.Load(Write("grey.png", grey, ".png"));

        Assert.Equal(MatType.CV_8UC3, fromDeep.Type());
        Assert.Equal(new Vec3b(255, 0, 128), fromDeep.At<Vec3b>(3, 3));
        Assert.Equal(new Vec3b(77, 77, 77), fromGrey.At<Vec3b>(3, 3));
    }

    [Fact]
    public void Corrupt_missing_and_empty_files_name_the_file()
    {
        var corrupt = Path.Combine(_dir, "broken.jpg");
        File.WriteAllBytes(corrupt, [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]);
        var empty = Path.Combine(_dir, "empty.png");
        File.WriteAllBytes(empty, []);
        var missing = Path.Combine(_dir, "missing.jpg");

        foreach (var path in new[] { corrupt, empty, missing })
        {
            var e = Assert.Throws<ImageLoadException>(() => ImageLoader.Load(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
            Assert.Equal(path, e.Path);
        }
    }

    [Fact]
    public void Conversion_rejects_empty_and_two_channel_images()
    {
        using var empty = new Mat();
        using var two = new Mat(4, 4, MatType.CV_8UC2);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => ImageConversion.ToBgr8(empty)).Message, StringComparison.Ordinal);
        Assert.Contains("2 channels", Assert.Throws<ArgumentException>(() => ImageConversion.ToBgr8(two)).Message, StringComparison.Ordinal);
    }
}
