console.log("tutti cli placeholder")
