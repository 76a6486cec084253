using FaceWatch.Configuration;
using FaceWatch.Hosting;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Identity;
using FaceWatch.Pipeline.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

using FaceWatch.Pipeline.Identification;
namespace FaceWatch.Tests.Hosting;

/// <summary>The daemon's settings: defaults, the example file, and start-up failures that name the wrong key.</summary>
public class DaemonConfigurationTests
{
    private static ServiceProvider Services(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddFaceWatchPipeline(configuration);
        return services.BuildServiceProvider();
    }

    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    private static string Failure<T>(IConfiguration configuration)
        where T : class
    {
        using var services = Services(configuration);
        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<T>>().Value);
        return string.Join("; ", ex.Failures);
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        using var services = Services(Config());
        Assert.Empty(services.GetRequiredService<IOptions<CamerasOptions>>().Value.Items);
        var capture = services.GetRequiredService<IOptions<CaptureOptions>>().Value;
        Assert.Equal((1.0, 30.0, 1), (capture.ReconnectBaseSeconds, capture.ReconnectMaxSeconds, capture.FrameQueueCapacity));
        var camera = new CameraOptions();
        Assert.Equal((10.0, 10.0, "tcp", true), (camera.DetectFps, camera.StallSeconds, camera.RtspTransport, camera.Loop));
        var pipeline = services.GetRequiredService<IOptions<FaceWatch.Pipeline.Workers.PipelineOptions>>().Value;
        Assert.Equal((720, 0, int.MaxValue), (pipeline.DetectMaxSide, pipeline.ParallelDetections, pipeline.ParallelDetectionsLimit()));
        Assert.Equal(2, services.GetRequiredService<IOptions<TrackingOptions>>().Value.MinHits);
    }

    [Fact]
    public void The_example_file_loads_and_validates_with_the_documented_defaults()
    {
        var file = Path.Combine(TestPaths.RepoRoot, "config", "facewatch.example.json");
        var configuration = new ConfigurationBuilder()
            .AddConfiguration(FaceWatchConfiguration.Build(file))
            .AddInMemoryCollection([new("Models:Dir", TestPaths.ModelsDir)])
            .Build();
        using var services = Services(configuration);
        var cameras = services.GetRequiredService<IOptions<CamerasOptions>>().Value.Items;
        Assert.Equal(["front_door", "hallway_usb", "recording"], cameras.Select(c => c.Name));
        Assert.Equal(10, cameras[0].DetectFps);

        // Every key in the example carries the built-in default (so the file documents the defaults).
        AssertDefaults(services.GetRequiredService<IOptions<TrackingOptions>>().Value, new TrackingOptions());
        AssertDefaults(services.GetRequiredService<IOptions<RecognitionOptions>>().Value, new RecognitionOptions());
        AssertDefaults(services.GetRequiredService<IOptions<IdentityOptions>>().Value, new IdentityOptions());
        AssertDefaults(services.GetRequiredService<IOptions<FaceWatch.Pipeline.Motion.GatingOptions>>().Value, new FaceWatch.Pipeline.Motion.GatingOptions());
        Assert.Equal(0.75, Assert.Single(cameras[0].MotionMasks).X);
    }

    private static void AssertDefaults<T>(T loaded, T defaults)
    {
        foreach (var p in typeof(T).GetProperties().Where(p => p.CanWrite))
        {
            Assert.True(Equals(p.GetValue(defaults), p.GetValue(loaded)), $"{typeof(T).Name}.{p.Name}: example {p.GetValue(loaded)}, default {p.GetValue(defaults)}");
        }
    }

    [Fact]
    public void Identity_rules_between_keys_fail_naming_both_keys()
    {
        var message = Failure<IdentityOptions>(Config(("Identity:MinUnknownObservations", "20"), ("Identity:Window", "12")));
        Assert.Contains("Identity:MinUnknownObservations: 20 is more than Identity:Window (12)", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Identity:Window", "0", "Identity:Window must be between 1 and 1000 (got 0)")]
    [InlineData("Identity:MinShare", "0.4", "Identity:MinShare must be between 0.5 and 1 (got 0.4)")]
    [InlineData("Recognition:MinScore", "1.5", "Recognition:MinScore must be between 0 and 1 (got 1.5)")]
    [InlineData("Tracking:MinHits", "0", "Tracking:MinHits must be between 1 and 100 (got 0)")]
    [InlineData("Capture:FrameQueueCapacity", "17", "Capture:FrameQueueCapacity must be between 1 and 16 (got 17)")]
    [InlineData("Gating:FullFrameShare", "0.01", "Gating:FullFrameShare must be between 0.05 and 1 (got 0.01)")]
    [InlineData("Gating:StillMotionEvery", "0", "Gating:StillMotionEvery must be between 1 and 15 (got 0)")]
    [InlineData("Gating:StillSeconds", "-1", "Gating:StillSeconds must be between 0 and 3600 (got -1)")]
    [InlineData("Detection:ScaleFactor", "0.99", "Detection:ScaleFactor must be between 0.3 and 0.95 (got 0.99)")]
    [InlineData("Pipeline:DetectMaxSide", "100", "Pipeline:DetectMaxSide must be between 120 and 4320 (got 100)")]
    [InlineData("Embedding:InputSize", "8", "Embedding:InputSize must be between 16 and 1024 (got 8)")]
    [InlineData("Images:MaxPixels", "0", "Images:MaxPixels must be between 1 and 1000000000 (got 0)")]
    [InlineData("Models:Threads", "300", "Models:Threads must be between 0 and 256 (got 300)")]
    public void A_value_out_of_range_fails_naming_the_key_the_range_and_the_value(string key, string value, string expected)
    {
        var message = key.Split(':')[0] switch
        {
            "Identity" => Failure<IdentityOptions>(Config((key, value))),
            "Recognition" => Failure<RecognitionOptions>(Config((key, value))),
            "Tracking" => Failure<TrackingOptions>(Config((key, value))),
            "Capture" => Failure<CaptureOptions>(Config((key, value))),
            "Gating" => Failure<FaceWatch.Pipeline.Motion.GatingOptions>(Config((key, value))),
            "Detection" => Failure<FaceWatch.Pipeline.Detection.MtcnnOptions>(Config((key, value))),
            "Pipeline" => Failure<FaceWatch.Pipeline.Workers.PipelineOptions>(Config((key, value))),
            "Embedding" => Failure<FaceWatch.Pipeline.Embedding.EmbeddingOptions>(Config((key, value))),
            "Images" => Failure<FaceWatch.Core.Imaging.ImageOptions>(Config((key, value))),
            "Models" => Failure<FaceWatch.Core.Models.ModelsOptions>(Config((key, value), ("Models:Dir", TestPaths.ModelsDir))),
            _ => throw new ArgumentOutOfRangeException(nameof(key), key, null),
        };

        // Once: the section's range check is registered once (Detection used to report it twice).
        Assert.Equal(expected, message);
    }

    [Fact]
    public void A_camera_value_out_of_range_names_the_entry_the_range_and_the_value()
    {
        var message = Failure<CamerasOptions>(Config(("Cameras:0:Name", "door"), ("Cameras:0:Source", "0"), ("Cameras:0:DetectFps", "0")));
        Assert.Contains("Cameras:0:DetectFps must be between 0.1 and 60 (got 0)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Capture_reconnect_base_longer_than_max_fails_naming_both_keys()
    {
        var message = Failure<CaptureOptions>(Config(("Capture:ReconnectBaseSeconds", "60"), ("Capture:ReconnectMaxSeconds", "30")));
        Assert.Contains("Capture:ReconnectBaseSeconds: 60 is more than Capture:ReconnectMaxSeconds (30)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recognition_batch_larger_than_the_crop_queue_fails_naming_both_keys()
    {
        var message = Failure<RecognitionOptions>(Config(("Recognition:BatchSize", "64"), ("Recognition:CropQueueCapacity", "32")));
        Assert.Contains("Recognition:BatchSize: 64 is more than Recognition:CropQueueCapacity (32)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_camera_min_face_larger_than_its_frame_fails_naming_the_key()
    {
        var message = Failure<CamerasOptions>(Config(
            ("Cameras:0:Name", "door"), ("Cameras:0:Source", "rtsp://cam/x"), ("Cameras:0:Width", "320"), ("Cameras:0:Height", "240"), ("Cameras:0:MinFaceSize", "300")));
        Assert.Contains("Cameras:0:MinFaceSize: 300 is larger than the frame's shorter side (320x240)", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Identity:MinObservations", "13", "Identity:MinObservations: 13 is more than Identity:Window (12)")]
    [InlineData("Identity:StrongRun", "13", "Identity:StrongRun: 13 is more than Identity:Window (12)")]
    public void Identity_counts_must_fit_in_the_window(string key, string value, string expected)
    {
        Assert.Contains(expected, Failure<IdentityOptions>(Config((key, value), ("Identity:Window", "12"))), StringComparison.Ordinal);
    }

    [Fact]
    public void Gating_rules_and_motion_masks_fail_naming_the_key()
    {
        Assert.Contains(
            "Gating:MinFullScanSeconds: 6 is longer than FullScanSeconds 5",
            Failure<FaceWatch.Pipeline.Motion.GatingOptions>(Config(("Gating:MinFullScanSeconds", "6"))),
            StringComparison.Ordinal);
        Assert.Contains("Gating:MotionThreshold", Failure<FaceWatch.Pipeline.Motion.GatingOptions>(Config(("Gating:MotionThreshold", "0"))), StringComparison.Ordinal);

        (string, string?)[] camera = [("Cameras:0:Name", "door"), ("Cameras:0:Source", "0")];
        Assert.Contains(
            "Cameras:0:MotionMasks:0:Width",
            Failure<CamerasOptions>(Config([.. camera, ("Cameras:0:MotionMasks:0:X", "0"), ("Cameras:0:MotionMasks:0:Y", "0"), ("Cameras:0:MotionMasks:0:Width", "1.5"), ("Cameras:0:MotionMasks:0:Height", "0.1")])),
            StringComparison.Ordinal);
        Assert.Contains(
            "Cameras:0:MotionMasks:1: a mask is X, Y, Width, Height in fractions of the frame",
            Failure<CamerasOptions>(Config([.. camera,
                ("Cameras:0:MotionMasks:0:Width", "0.2"), ("Cameras:0:MotionMasks:0:Height", "0.1"),
                ("Cameras:0:MotionMasks:1:X", "0.8"), ("Cameras:0:MotionMasks:1:Width", "0.5"), ("Cameras:0:MotionMasks:1:Height", "0.1")])),
            StringComparison.Ordinal);
        Assert.Contains(
            "Cameras:0:MotionMasks:0:Widht: unknown setting",
            Failure<CamerasOptions>(Config([.. camera, ("Cameras:0:MotionMasks:0:Widht", "0.2")])),
            StringComparison.Ordinal);

        using var services = Services(Config([.. camera, ("Cameras:0:MotionMasks:0:Y", "0.9"), ("Cameras:0:MotionMasks:0:Width", "0.3"), ("Cameras:0:MotionMasks:0:Height", "0.1")]));
        var mask = Assert.Single(services.GetRequiredService<IOptions<CamerasOptions>>().Value.Items[0].MotionMasks);
        Assert.Equal((0, 0.9, 0.3, 0.1), (mask.X, mask.Y, mask.Width, mask.Height));
    }

    [Fact]
    public void Keys_that_moved_to_Identity_are_rejected_under_Recognition()
    {
        Assert.Contains("Recognition:Window: unknown setting", Failure<RecognitionOptions>(Config(("Recognition:Window", "12"))), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_fails_with_its_full_path()
    {
        var message = Failure<CamerasOptions>(Config(("Cameras:0:Name", "a"), ("Cameras:0:Source", "0"), ("Cameras:0:Sourse", "1")));
        Assert.Contains("Cameras:0:Sourse: unknown setting", message, StringComparison.Ordinal);
        Assert.Contains("Recognition:MinScor: unknown setting", Failure<RecognitionOptions>(Config(("Recognition:MinScor", "0.5"))), StringComparison.Ordinal);
        Assert.Contains("Camera: unknown section", Failure<CamerasOptions>(Config(("Camera:0:Name", "a"))), StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_camera_names_fail_naming_both_entries()
    {
        var message = Failure<CamerasOptions>(Config(
            ("Cameras:0:Name", "door"), ("Cameras:0:Source", "0"),
            ("Cameras:1:Name", "Door"), ("Cameras:1:Source", "1")));
        Assert.Contains("Cameras:1:Name: camera name 'Door' is already used by Cameras:0", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_url_fails_without_showing_its_password()
    {
        var message = Failure<CamerasOptions>(Config(("Cameras:0:Name", "door"), ("Cameras:0:Source", "ftp://admin:secret@cam/x")));
        Assert.Contains("Cameras:0:Source: URL scheme 'ftp' is not supported", message, StringComparison.Ordinal);
        Assert.Contains("Cameras:0:Source", Failure<CamerasOptions>(Config(("Cameras:0:Name", "door"), ("Cameras:0:Source", "rtsp://"))), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", Failure<CamerasOptions>(Config(("Cameras:0:Name", "door"), ("Cameras:0:Source", "rtsp://admin:secret@"))), StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_range_values_and_missing_fields_name_the_key()
    {
        var message = Failure<CamerasOptions>(Config(("Cameras:0:Name", "door"), ("Cameras:0:Source", "0"), ("Cameras:0:DetectFps", "0")));
        Assert.Contains("Cameras:0:DetectFps", message, StringComparison.Ordinal);
        Assert.Contains("Cameras:0:Source", Failure<CamerasOptions>(Config(("Cameras:0:Name", "door"))), StringComparison.Ordinal);
        Assert.Contains("Cameras:0:Width", Failure<CamerasOptions>(Config(("Cameras:0:Name", "d"), ("Cameras:0:Source", "rtsp://h/x"), ("Cameras:0:Width", "640"))), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_gallery_or_model_file_fails_at_start_naming_the_key()
    {
        Assert.Contains("Gallery:Path: gallery file", Failure<GalleryOptions>(Config(("Gallery:Path", "/nonexistent/gallery.json"))), StringComparison.Ordinal);
        var empty = Directory.CreateTempSubdirectory("facewatch-nomodels").FullName;
        try
        {
            Assert.Contains("Models:Dir: model file(s)", Failure<FaceWatch.Core.Models.ModelsOptions>(Config(("Models:Dir", empty))), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public void Environment_variables_override_the_json_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"facewatch-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "Cameras": [ { "Name": "door", "Source": "0" } ] }""");
        try
        {
            Environment.SetEnvironmentVariable("FACEWATCH_Cameras__0__Source", "rtsp://127.0.0.1:1/x");
            var configuration = FaceWatchConfiguration.Build(file);
            Assert.Equal("rtsp://127.0.0.1:1/x", configuration["Cameras:0:Source"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("FACEWATCH_Cameras__0__Source", null);
            File.Delete(file);
        }
    }
}
