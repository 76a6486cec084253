using System.CommandLine;

namespace FaceWatch.Commands;

internal static class EnrollCommand
{
    public static Command Create()
    {
        var command = new Command("enroll", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("facewatch enroll: not built yet.");
            return 2;
        });
        return command;
    }
}
