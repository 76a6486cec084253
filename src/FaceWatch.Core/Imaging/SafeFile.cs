using System.Runtime.InteropServices;

namespace FaceWatch.Core.Imaging;

/// <summary>What a path is, after following symbolic links.</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,
    Other,
}

/// <summary>
/// Reads only regular files, with a size limit: a symlink to <c>/dev/zero</c> or <c>/dev/urandom</c> would be read
/// until memory runs out, and opening a FIFO blocks until someone writes to it. The kind is checked (with
/// <c>statx</c> on Linux, which never opens the file) before the file is opened, and at most the size seen is read.
/// </summary>
public static partial class SafeFile
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const uint StatxIno = 0x100;

    /// <summary>The kind of <paramref name="path"/> (symbolic links followed) and, for regular files, its size.</summary>
    public static FileKind KindOf(string path, out long length)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        length = 0;
        if (OperatingSystem.IsLinux())
        {
            return LinuxKind(path, out length);
        }

        var info = new FileInfo(path);
        if (info.Exists)
        {
            length = info.Length;
            return FileKind.Regular;
        }

        return Directory.Exists(path) ? FileKind.Directory : FileKind.Missing;
    }

    /// <summary>
    /// What makes <paramref name="path"/> the same file or folder as another path (device and inode on Linux, links
    /// followed; the full path elsewhere).
    /// </summary>
    public static unsafe string Identity(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsLinux())
        {
            var buffer = stackalloc byte[256];
            if (Statx(AtFdCwd, path, 0, StatxIno, buffer) == 0)
            {
                // stx_ino at 32, stx_dev_major and stx_dev_minor at 136 and 140.
                return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{*(uint*)(buffer + 136)}:{*(uint*)(buffer + 140)}:{*(ulong*)(buffer + 32)}");
            }
        }

        return Path.GetFullPath(path);
    }

    /// <summary>"a directory", "a FIFO (named pipe)", ...: for messages about a file that was not read.</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "does not exist",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.CharacterDevice => "a character device (such as /dev/zero), not a file",
        FileKind.BlockDevice => "a block device, not a file",
        FileKind.Fifo => "a FIFO (named pipe), not a file",
        FileKind.Socket => "a socket, not a file",
        _ => "not a regular file",
    };

    /// <summary>
    /// The bytes of a regular file of at most <paramref name="maxBytes"/>; anything else is refused with a
    /// <see cref="NotAFileException"/> whose message says what the path is ("a directory", "too large (...)"; the caller
    /// adds the file name), a missing file with a <see cref="FileNotFoundException"/>.
    /// </summary>
    public static byte[] ReadRegular(string path, long maxBytes, out FileKind kind)
    {
        kind = KindOf(path, out var length);
        if (kind == FileKind.Missing)
        {
            throw new FileNotFoundException("does not exist", path);
        }

        if (kind != FileKind.Regular)
        {
            throw new NotAFileException(Describe(kind));
        }

        if (length > maxBytes)
        {
            throw new NotAFileException($"too large ({length} bytes; the limit is {maxBytes} bytes)");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        // The size seen above, not "until the end": a file swapped for a device after the check still reads a bounded amount.
        var bytes = new byte[length];
        var read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        return read == bytes.Length ? bytes : bytes[..read];
    }

    private static unsafe FileKind LinuxKind(string path, out long length)
    {
        length = 0;
        // struct statx is the same on every Linux architecture: stx_mode (u16) at 28, stx_size (u64) at 40, 256 bytes.
        var buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, 0, StatxType | StatxSize, buffer) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error == 38) // ENOSYS: no statx; fall back to what .NET can tell
            {
                var info = new FileInfo(path);
                length = info.Exists ? info.Length : 0;
                return info.Exists ? FileKind.Regular : Directory.Exists(path) ? FileKind.Directory : FileKind.Missing;
            }

            return error is 2 or 20 or 40 ? FileKind.Missing : throw new NotAFileException($"not accessible (error {error})");
        }

        var mode = *(ushort*)(buffer + 28) & 0xF000;
        length = (long)Math.Min(*(ulong*)(buffer + 40), long.MaxValue);
        return mode switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}

/// <summary>A path that <see cref="SafeFile"/> does not read; the message completes "'path' is ...".</summary>
public sealed class NotAFileException(string message) : IOException(message);
