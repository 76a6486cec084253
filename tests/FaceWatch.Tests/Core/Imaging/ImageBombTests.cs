using System.Buffers.Binary;
using System.IO.Compression;
using OpenCvSharp;

using FaceWatch.Core.Imaging;
using FaceWatch.Tests.Infrastructure;
namespace FaceWatch.Tests.Core.Imaging;

/// <summary>
/// Decompression bombs: small files whose header declares a huge image are refused by every verb before decoding,
/// with a message naming the file and the limit, and memory stays low.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ImageBombTests : IDisposable
{
    private const long MemoryCeiling = 1024L * 1024 * 1024; // decoding the bomb alone takes 0.9 GB (grey) to 2.7 GB (BGR)

    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-bomb-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A valid 30000x30000 1-bit grey PNG of zeros: about 110 KB on disk, 0.9 to 2.7 GB decoded.</summary>
    internal static string WritePngBomb(string path, int side = 30000)
    {
        using var file = File.Create(path);
        file.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, side);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], side);
        ihdr[8] = 1; // bit depth
        ihdr[9] = 0; // grey
        Chunk(file, "IHDR", ihdr);
        using (var data = new MemoryStream())
        {
            using (var z = new ZLibStream(data, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                var row = new byte[1 + (side + 7) / 8]; // filter byte 0, then zero bits
                for (var y = 0; y < side; y++)
                {
                    z.Write(row);
                }
            }

            Chunk(file, "IDAT", data.ToArray());
        }

        Chunk(file, "IEND", []);
        return path;
    }

    private static void Chunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeBytes, data));
        s.Write(word);
    }

    private static uint Crc32(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var part in new[] { a.ToArray(), b.ToArray() })
        {
            foreach (var x in part)
            {
                crc ^= x;
                for (var k = 0; k < 8; k++)
                {
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
                }
            }
        }

        return ~crc;
    }

    private Task<CliResult> Run(params string[] args) => Cli.RunAsync(_dir, null, TimeSpan.FromMinutes(3), args);

    private static void AssertRefused(CliResult run, string file, string limit)
    {
        Assert.Contains($"'{file}'", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("30000x30000", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"limit of {limit} pixels", run.Stderr, StringComparison.Ordinal);
        Assert.True(run.PeakRssBytes < MemoryCeiling, $"peak memory {run.PeakRssBytes / (1024 * 1024)} MB: {run}");
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(60), run.ToString());
    }

    [Fact]
    public async Task A_png_bomb_is_refused_before_decoding_by_detect_identify_embed_enroll_and_evaluate()
    {
        var bomb = WritePngBomb(Path.Combine(_dir, "bomb.png"));
        Assert.InRange(new FileInfo(bomb).Length, 1, 512 * 1024);

        // enroll: knn/train with the bomb among one person's photos: the others are enrolled, the bomb is named and skipped.
        var people = Path.Combine(_dir, "people");
        foreach (var person in Directory.GetDirectories(TestPaths.Data("faces", "knn", "train")))
        {
            var target = Directory.CreateDirectory(Path.Combine(people, Path.GetFileName(person))).FullName;
            foreach (var f in Directory.GetFiles(person))
            {
                File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
            }
        }

        var personBomb = Path.Combine(people, "obama", "bomb.png");
        File.Copy(bomb, personBomb);
        var enroll = await Run("enroll", people, "--gallery", "g.json");
        Assert.True(enroll.ExitCode == 0, enroll.ToString());
        AssertRefused(enroll, personBomb, "100,000,000");

        var detect = await Run("detect", bomb, "--out", "det");
        Assert.Equal(1, detect.ExitCode);
        AssertRefused(detect, bomb, "100,000,000");

        var identify = await Run("identify", bomb, "--gallery", "g.json", "--out", "ids");
        Assert.Equal(1, identify.ExitCode);
        AssertRefused(identify, bomb, "100,000,000");

        var embed = await Run("embed", bomb);
        Assert.Equal(1, embed.ExitCode);
        AssertRefused(embed, bomb, "100,000,000");

        var evaluate = await Run("evaluate", people, "--gallery", "g.json");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        AssertRefused(evaluate, personBomb, "100,000,000");
    }

    [Fact]
    public async Task The_pixel_limit_is_a_setting_named_in_the_message()
    {
        var photo = TestPaths.Data("images", "obama-480p.jpg");
        var run = await Cli.RunAsync(_dir, new Dictionary<string, string> { ["FACEWATCH_Images__MaxPixels"] = "100000" }, TimeSpan.FromMinutes(2), "detect", photo);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"'{photo}'", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("853x480", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("limit of 100,000 pixels (Images:MaxPixels)", run.Stderr, StringComparison.Ordinal);

        var bad = await Cli.RunAsync(_dir, new Dictionary<string, string> { ["FACEWATCH_Images__MaxPixels"] = "0" }, TimeSpan.FromMinutes(2), "detect", photo);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("Images:MaxPixels", bad.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".png")]
    [InlineData(".jpg")]
    [InlineData(".webp")]
    [InlineData(".bmp")]
    [InlineData(".tiff")]
    [InlineData(".ppm")]
    public void The_header_size_of_every_format_matches_the_decoded_size(string ext)
    {
        using var image = new Mat(37, 53, MatType.CV_8UC3, new Scalar(1, 2, 3));
        Cv2.ImEncode(ext, image, out var bytes);
        var header = ImageHeader.Read(bytes);
        Assert.NotNull(header);
        Assert.Equal((53L, 37L), (header.Value.Width, header.Value.Height));
    }

    [Fact]
    public void A_gif_whose_frame_reaches_far_beyond_its_screen_is_measured_by_the_frame()
    {
        // 10x10 screen, one 40000x40000 frame: the decoder would allocate the frame.
        byte[] gif =
        [
            .. "GIF89a"u8, 10, 0, 10, 0, 0, 0, 0,
            0x2C, 0, 0, 0, 0, 0x40, 0x9C, 0x40, 0x9C, 0, // image descriptor 40000x40000, no local table
            2, 2, 0x4C, 0x01, 0, // LZW data
            0x3B,
        ];
        var header = ImageHeader.Read(gif);
        Assert.Equal(("GIF", 40000L, 40000L), header);
        var e = Assert.Throws<ImageLoadException>(() => ImageLoader.Decode(gif, "frame.gif"));
        Assert.Contains("'frame.gif'", e.Message, StringComparison.Ordinal);
        Assert.Contains("limit of 100,000,000 pixels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_real_gif_and_an_unknown_format_are_told_apart()
    {
        var gif = Path.Combine(_dir, "a.gif");
        Cli.Tool("ffmpeg", "-v", "error", "-y", "-i", TestPaths.Data("images", "obama_small.jpg"), gif);
        using var image = ImageLoader.Load(gif);
        Assert.Equal(ImageHeader.Read(File.ReadAllBytes(gif))!.Value.Width, image.Width);

        var e = Assert.Throws<ImageLoadException>(() => ImageLoader.Decode("\0\0\0\x0cjP  \r\n\x87\n"u8, "x.jp2"));
        Assert.Contains("supported: JPEG, PNG", e.Message, StringComparison.Ordinal);
    }
}
